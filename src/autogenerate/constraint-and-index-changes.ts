import { sqlIdent } from '../db/quote.js'
import { type CatalogSnapshot, isNotNullConstraint } from '../health/drift/catalog-snapshot.js'
import type { ChangePlan } from './change-plan.js'
import { memberOf, relationName, tableOf } from './object-names.js'

/** How constraints and indexes of tables that already hold rows are written. */
export interface OnlineForms {
  /**
   * Production's forms on a table that exists on both sides: indexes built and dropped
   * CONCURRENTLY, foreign keys and checks added NOT VALID and validated apart, all of
   * it in `plan.online`. A new table is empty: its own are written plainly.
   */
  readonly online: boolean
  /** Indexes not to drop: a separate migration built them CONCURRENTLY and drops them so. */
  readonly leaveIndexes: ReadonlySet<string>
  /** Constraints not to drop: a separate migration made them from such an index and drops them. */
  readonly leaveConstraints?: ReadonlySet<string>
}

/** What `constraintAndIndexChanges` made outside the transaction. */
export interface MadeApart {
  /** Indexes built CONCURRENTLY (`schema.index`), a key's own among them. */
  readonly builtOnline: string[]
  /** Primary keys and unique constraints (`schema.table.constraint`) added `USING INDEX` after them. */
  readonly keysApart: string[]
}

/** `PRIMARY KEY (id)`, `UNIQUE (email, tenant)`: a key that `ADD CONSTRAINT ... USING INDEX` can take over. */
const PLAIN_KEY = /^(PRIMARY KEY|UNIQUE) \((?:[^()"]|"[^"]*")+\)$/

/**
 * Constraints (foreign keys dropped first and added last) and the indexes that are not a
 * constraint's own. A changed one is dropped and made again. PostgreSQL 18's NOT NULL
 * constraints are the columns' business. A primary key or unique constraint added to a
 * table that holds rows gets its index CONCURRENTLY and is added `USING INDEX` after it
 * (`plan.afterOnline`), unless a foreign key added here references that table: the key
 * is then made in the transaction, before the foreign key that needs it.
 */
export function constraintAndIndexChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  tables: { kept: (table: string) => boolean; inBoth: (table: string) => boolean },
  forms: OnlineForms,
  /** Generated columns dropped and added again (`RemadeColumns.regenerated`): their indexes went with them. */
  regenerated: ReadonlySet<string>,
): MadeApart {
  const { kept, inBoth } = tables
  const isForeignKey = (definition: string) => definition.startsWith('FOREIGN KEY')
  const validatedApart = (key: string, definition: string) =>
    forms.online &&
    inBoth(tableOf(key)) &&
    // Partitioned tables take no NOT VALID foreign key or check on most servers.
    to.tables.get(tableOf(key)) !== 'p' &&
    (isForeignKey(definition) || definition.startsWith('CHECK')) &&
    !definition.endsWith('NOT VALID')
  // A partition's copies of its parent's constraints and indexes come with the parent's.
  const relevant = (definition: string) => !isNotNullConstraint(definition)
  const inherited = (key: string) => from.inheritedConstraints.has(key) || to.inheritedConstraints.has(key)
  const inheritedIndex = (key: string) => from.inheritedIndexes.has(key) || to.inheritedIndexes.has(key)
  // PostgreSQL builds no index of a partitioned table CONCURRENTLY.
  const concurrently = (table: string) => forms.online && inBoth(table) && to.tables.get(table) !== 'p'
  const drops: [string, string][] = []
  const adds: [string, string][] = []
  for (const [key, definition] of from.constraints) {
    if (!relevant(definition) || !kept(tableOf(key)) || inherited(key)) continue
    if (to.constraints.get(key) !== definition) drops.push([key, definition])
  }
  for (const [key, definition] of to.constraints) {
    if (!relevant(definition) || !kept(tableOf(key)) || inherited(key)) continue
    if (from.constraints.get(key) !== definition) adds.push([key, definition])
  }
  const foreignKeysFirst = (a: [string, string], b: [string, string]) =>
    Number(isForeignKey(b[1])) - Number(isForeignKey(a[1]))
  for (const [key] of drops.sort(foreignKeysFirst))
    if (!forms.leaveConstraints?.has(key))
      plan.dropsFirst.push(
        `ALTER TABLE ${relationName(tableOf(key))} DROP CONSTRAINT ${sqlIdent(memberOf(key))};`,
      )
  const referenced = (table: string) =>
    adds.some(
      ([, definition]) =>
        isForeignKey(definition) && definition.includes(` REFERENCES ${relationName(table)}(`),
    )
  const keyIndex = (key: string) => `${tableOf(tableOf(key))}.${memberOf(key)}`
  const keysApart = adds
    .filter(
      ([key, definition]) =>
        concurrently(tableOf(key)) &&
        PLAIN_KEY.test(definition) &&
        to.indexes.has(keyIndex(key)) &&
        !referenced(tableOf(key)),
    )
    .map(([key]) => key)
  const builtOnline: string[] = []
  for (const key of keysApart) {
    const definition = to.constraints.get(key)!
    const kind = definition.startsWith('PRIMARY KEY') ? 'PRIMARY KEY' : 'UNIQUE'
    const index = keyIndex(key)
    plan.online.push(onlineBuild(to.indexes.get(index)!.definition))
    builtOnline.push(index)
    plan.afterOnline.push(
      `ALTER TABLE ${relationName(tableOf(key))} ADD CONSTRAINT ${sqlIdent(memberOf(key))} ${kind} USING INDEX ${sqlIdent(memberOf(index))};`,
    )
  }
  for (const [key, definition] of adds.sort((a, b) => -foreignKeysFirst(a, b))) {
    if (keysApart.includes(key)) continue
    const table = relationName(tableOf(key))
    const name = sqlIdent(memberOf(key))
    if (validatedApart(key, definition)) {
      plan.additions.push(`ALTER TABLE ${table} ADD CONSTRAINT ${name} ${definition} NOT VALID;`)
      plan.online.push(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`)
    } else plan.additions.push(`ALTER TABLE ${table} ADD CONSTRAINT ${name} ${definition};`)
  }

  // An index named as a constraint of its table is that constraint's (a primary key, a unique one).
  const ownIndex = (snapshot: CatalogSnapshot, key: string, table: string) =>
    !snapshot.constraints.has(`${table}.${memberOf(key)}`)
  for (const [key, index] of from.indexes) {
    const { table } = index
    if (!kept(table) || !ownIndex(from, key, table) || forms.leaveIndexes.has(key)) continue
    if (inheritedIndex(key)) continue
    if (to.indexes.get(key)?.definition === index.definition) continue
    // IF EXISTS: dropping a column before it has dropped its indexes.
    if (concurrently(table)) plan.online.unshift(`DROP INDEX CONCURRENTLY IF EXISTS ${relationName(key)};`)
    else plan.dropsFirst.push(`DROP INDEX ${relationName(key)};`)
  }
  // An index on a generated column dropped and added again went with it: made again.
  const wentWithColumn = (key: string) =>
    [...(from.columnReaders.get(key) ?? [])].some((column) => regenerated.has(column))
  for (const [key, index] of to.indexes) {
    const { table } = index
    if (!kept(table) || !ownIndex(to, key, table) || inheritedIndex(key)) continue
    if (from.indexes.get(key)?.definition === index.definition && !wentWithColumn(key)) continue
    if (concurrently(table)) {
      plan.online.push(onlineBuild(index.definition))
      builtOnline.push(key)
    }
    // pg_get_indexdef writes a partitioned table's index ON ONLY (invalid until each
    // partition's is attached): made on the whole table, the partitions get theirs.
    else plan.additions.push(`${index.definition.replace(/ ON ONLY /, ' ON ')};`)
  }
  return { builtOnline, keysApart }
}

/** `CREATE [UNIQUE] INDEX name ...` built without blocking writes, and again on a re-run. */
function onlineBuild(definition: string): string {
  return `${definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY IF NOT EXISTS ')};`
}
