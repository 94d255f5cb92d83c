import { sqlIdent } from '../db/quote.js'
import type { CatalogSnapshot, ColumnFacts } from '../health/drift/catalog-snapshot.js'
import { memberOf, relationName, tableOf } from './object-names.js'

/** A column as `CREATE TABLE` or `ADD COLUMN` writes it. */
export function columnDefinition(name: string, column: ColumnFacts): string {
  const parts = [sqlIdent(name), column.type]
  if (column.collation !== null) parts.push(`COLLATE ${sqlIdent(column.collation)}`)
  if (column.generated !== '' && column.default !== null)
    parts.push(`GENERATED ALWAYS AS (${column.default}) ${column.generated === 'v' ? 'VIRTUAL' : 'STORED'}`)
  else if (column.identity !== '')
    parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`)
  else if (column.default !== null) parts.push(`DEFAULT ${column.default}`)
  if (column.notNull) parts.push('NOT NULL')
  return parts.join(' ')
}

/** The columns of `table` (`schema.table`) in their order, as `[key, facts]`. */
export function columnsOf(snapshot: CatalogSnapshot, table: string): [string, ColumnFacts][] {
  return [...snapshot.columns].filter(([key]) => tableOf(key) === table)
}

/**
 * `CREATE TABLE` with its columns (a partition's come from its parent), partitioned
 * and partition clauses included; constraints and indexes follow as their own statements.
 */
export function createTable(snapshot: CatalogSnapshot, table: string): string {
  const key = snapshot.partitionKeys.get(table)
  const partitionBy = key === undefined ? '' : ` PARTITION BY ${key}`
  const partition = snapshot.partitions.get(table)
  if (partition !== undefined)
    return `CREATE TABLE ${relationName(table)} PARTITION OF ${relationName(partition.parent)} ${partition.bound}${partitionBy};`
  const columns = columnsOf(snapshot, table).map(
    ([key, facts]) => `  ${columnDefinition(memberOf(key), facts)}`,
  )
  return `CREATE TABLE ${relationName(table)} (\n${columns.join(',\n')}\n)${partitionBy};`
}

/**
 * A sequence as `CREATE SEQUENCE` writes it, from the snapshot's
 * "bigint, start 1, increment 1, min 1, max 9223372036854775807, no cycle".
 */
export function sequenceOptions(text: string): string {
  const match = /^(.+), start (-?\d+), increment (-?\d+), min (-?\d+), max (-?\d+), (cycle|no cycle)$/.exec(
    text,
  )
  if (match === null) return ''
  const [, type, start, increment, min, max, cycle] = match
  return `AS ${type} START WITH ${start} INCREMENT BY ${increment} MINVALUE ${min} MAXVALUE ${max} ${cycle === 'cycle' ? 'CYCLE' : 'NO CYCLE'}`
}
