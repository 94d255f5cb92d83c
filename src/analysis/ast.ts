import type { A_Const, Node, RangeVar, TypeName } from 'libpg-query'

/**
 * Small readers over libpg-query's JSON parse tree, so that the lock model and the
 * rules talk about tables and types rather than node shapes.
 */

/** The single key of a parse-tree node: `{ IndexStmt: {...} }` → 'IndexStmt'. */
export function nodeKind(node: Node): string {
  for (const key in node) return key // the first key, without an array of all of them
  return 'Unknown'
}

/** The body of a node of the given kind, or undefined. */
export function nodeOf<T>(node: Node | undefined, kind: string): T | undefined {
  if (node === undefined) return undefined
  return (node as Record<string, unknown>)[kind] as T | undefined
}

/** `schema.table` as written (unqualified names stay unqualified). */
export function relationName(relation: RangeVar | undefined): string {
  if (relation === undefined) return '?'
  return relation.schemaname ? `${relation.schemaname}.${relation.relname}` : (relation.relname ?? '?')
}

/** Strings of a `names` list: [{String:{sval:'pg_catalog'}},{String:{sval:'int4'}}] → ['pg_catalog','int4']. */
export function nameList(names: readonly Node[] | undefined): string[] {
  return (names ?? []).map((name) => nodeOf<{ sval?: string }>(name, 'String')?.sval ?? '')
}

/** Names of the objects in a DROP or similar: [['public','users']] → 'public.users'. */
export function objectNames(objects: readonly Node[] | undefined): string[] {
  return (objects ?? []).map((object) => {
    const list = nodeOf<{ items?: Node[] }>(object, 'List')
    if (list) return nameList(list.items).join('.')
    // DROP FUNCTION f(int): a name with its argument types.
    const withArgs = nodeOf<{ objname?: Node[] }>(object, 'ObjectWithArgs')
    if (withArgs) return nameList(withArgs.objname).join('.')
    return nodeOf<{ sval?: string }>(object, 'String')?.sval ?? '?'
  })
}

/** A type as PostgreSQL names it internally (`int4`, `varchar`, `timestamptz`) with its modifiers. */
export interface TypeInfo {
  readonly name: string
  readonly modifiers: readonly number[]
  readonly array: boolean
}

export function typeInfo(type: TypeName | undefined): TypeInfo {
  const names = nameList(type?.names)
  const name = names[names.length - 1] ?? '?'
  const modifiers = (type?.typmods ?? []).map((modifier) => {
    const constant = nodeOf<A_Const>(modifier, 'A_Const')
    return constant?.ival?.ival ?? 0
  })
  return { name, modifiers, array: (type?.arrayBounds?.length ?? 0) > 0 }
}

/** Display form of a type: `varchar(255)`, `int4`, `numeric(10,2)[]`. */
export function typeText(type: TypeInfo): string {
  const modifiers = type.modifiers.length > 0 ? `(${type.modifiers.join(',')})` : ''
  return `${type.name}${modifiers}${type.array ? '[]' : ''}`
}

/** Every node of a kind anywhere below `root` (depth-first). */
export function findNodes<T>(root: unknown, kind: string): T[] {
  const found: T[] = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (value === null || typeof value !== 'object') return
    // for...in rather than Object.entries: no [key, value] arrays for every node of
    // every tree (parse trees are plain JSON objects, without inherited keys).
    for (const key in value) {
      const child = (value as Record<string, unknown>)[key]
      if (key === kind) found.push(child as T)
      visit(child)
    }
  }
  visit(root)
  return found
}

/** Option lists such as VACUUM (FULL) or REINDEX (CONCURRENTLY): whether `name` is on. */
export function hasOption(options: readonly Node[] | undefined, name: string): boolean {
  return (options ?? []).some((option) => {
    const element = nodeOf<{ defname?: string; arg?: Node }>(option, 'DefElem')
    if (element?.defname !== name) return false
    const arg = element.arg
    if (arg === undefined) return true
    const text = nodeOf<{ sval?: string }>(arg, 'String')?.sval
    const bool = nodeOf<{ boolval?: boolean }>(arg, 'Boolean')
    if (bool !== undefined) return bool.boolval === true
    return text === undefined || !['false', 'off', '0'].includes(text.toLowerCase())
  })
}

/** Every table a statement names: wrapped RangeVar nodes and the bare `relation`/`pktable` fields. */
export function relationsIn(root: unknown): string[] {
  const names: string[] = []
  const visit = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, undefined)
      return
    }
    if (value === null || typeof value !== 'object') return
    if (key === 'RangeVar' || key === 'relation' || key === 'pktable' || key === 'rel') {
      const relation = value as RangeVar
      if (typeof relation.relname === 'string') names.push(relationName(relation))
    }
    for (const childKey in value) visit((value as Record<string, unknown>)[childKey], childKey)
  }
  visit(root, undefined)
  return names
}
