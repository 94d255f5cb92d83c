import type { Constraint } from 'libpg-query'
import { escapeRegex } from '../../util/wildcard.js'
import { findNodes, nameList } from '../ast.js'

export { sqlIdent, sqlTableName } from '../../db/quote.js'

/** The table part of a `schema.table` name, for names derived from it (`fk_<table>_<column>`). */
export function tableBaseName(table: string): string {
  return table.slice(table.lastIndexOf('.') + 1)
}

/**
 * The name PostgreSQL gives a constraint written without one, so that a fix can name it
 * (`VALIDATE CONSTRAINT orders_user_id_fkey`): `<table>_<columns>_fkey` for a foreign key,
 * `<table>_<column>_check` for a check on one column and `<table>_check` otherwise (63
 * bytes at most; PostgreSQL adds a digit when the name is taken, which a fix cannot know).
 */
export function constraintName(table: string, constraint: Constraint): string {
  if (constraint.conname) return constraint.conname
  const base = tableBaseName(table)
  if (constraint.contype === 'CONSTR_FOREIGN') {
    const columns = nameList(constraint.fk_attrs)
    return `${base}${columns.length > 0 ? `_${columns.join('_')}` : ''}_fkey`.slice(0, 63)
  }
  const columns = new Set(
    findNodes<{ fields?: never[] }>(constraint.raw_expr, 'ColumnRef').map((reference) =>
      nameList(reference.fields).at(-1),
    ),
  )
  const [column] = columns
  return `${base}${columns.size === 1 && column ? `_${column}` : ''}_check`.slice(0, 63)
}

/** A column as a key of a TS object literal in a fix (`{ total: ... }`, `{ 'Total': ... }`). */
export function objectKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * The condition of a `CHECK (...)` as written in `sql`: the one of the constraint named
 * `name`, else the first; undefined when it cannot be found (a fix then shows a
 * placeholder). Parentheses inside quoted strings do not count.
 *
 * @example checkConditionText("ALTER TABLE t ADD CHECK (a IN ('(', 'b'))") // "a IN ('(', 'b')"
 */
export function checkConditionText(sql: string, name: string | undefined): string | undefined {
  const named =
    name === undefined
      ? undefined
      : new RegExp(`\\bCONSTRAINT\\s+"?${escapeRegex(name)}"?\\s+CHECK\\s*\\(`, 'i')
  const match = named?.exec(sql) ?? /\bCHECK\s*\(/i.exec(sql)
  if (!match) return undefined
  let depth = 1
  let quote: string | undefined
  for (let index = match.index + match[0].length; index < sql.length; index++) {
    const char = sql[index]
    if (quote !== undefined) {
      if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') quote = char
    else if (char === '(') depth++
    else if (char === ')' && --depth === 0) return sql.slice(match.index + match[0].length, index).trim()
  }
  return undefined
}

const OP_ACTIONS: Record<string, string> = { r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' }

/** A foreign key's actions as the op call's last argument (`, { onDelete: 'cascade' }`), or nothing. */
export function foreignKeyOptionsArgument(constraint: Constraint): string {
  const options = [
    OP_ACTIONS[constraint.fk_del_action ?? ''] && `onDelete: '${OP_ACTIONS[constraint.fk_del_action ?? '']}'`,
    OP_ACTIONS[constraint.fk_upd_action ?? ''] && `onUpdate: '${OP_ACTIONS[constraint.fk_upd_action ?? '']}'`,
    constraint.deferrable && 'deferrable: true',
  ].filter(Boolean)
  return options.length === 0 ? '' : `, { ${options.join(', ')} }`
}

/** `['user_id']` from a constraint's column list; PostgreSQL's default (the primary key) as `['id']`. */
export function columnsArray(attributes: unknown, fallback: readonly string[] = []): string {
  const names = nameList(attributes as never)
  const quoted = (names.length > 0 ? names : fallback).map(
    (name) => `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  )
  return `[${quoted.join(', ')}]`
}
