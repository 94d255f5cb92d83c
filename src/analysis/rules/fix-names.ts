import type { Constraint } from 'libpg-query'
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
