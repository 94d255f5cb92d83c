import type pg from 'pg'
import type { QualifiedName } from '../db/version-table.js'
import type { TypeInfo } from './ast.js'
import { type ColumnFacts, type TableFacts, tableKey } from './schema-model.js'

/** A transaction that holds a lock on a checked table and has been open a while. */
export interface LongTransaction {
  readonly pid: number
  readonly user: string | null
  readonly application: string | null
  readonly state: string | null
  readonly seconds: number
  readonly tables: readonly string[]
  /** The start of its current or last query. */
  readonly query: string
}

/** What connected mode reads from the database before analysing. */
export interface DatabaseFacts {
  readonly serverVersion: number
  readonly tables: ReadonlyMap<string, TableFacts>
  readonly versionColumnLength: number
  readonly longTransactions: readonly LongTransaction[]
}

/**
 * Reads the facts that rank risk: size, estimated rows, column types, NOT NULL checks
 * of the tables the migrations touch; `version_num`'s length; and transactions that
 * hold locks on those tables now (each would make a migration's lock wait).
 */
export async function readDatabaseFacts(
  client: pg.ClientBase,
  tableNames: readonly string[],
  versionTable: QualifiedName,
  longTransactionSeconds: number,
): Promise<DatabaseFacts> {
  const version = await client.query<{ server_version_num: string }>('SHOW server_version_num')
  const serverVersion = Math.floor(Number(version.rows[0]!.server_version_num) / 10000)
  const names = [...new Set(tableNames.filter((name) => !name.startsWith('(')))]
  const tables = await client.query<{
    name: string
    oid: number
    size: string
    rows: number
  }>(
    `SELECT n.name, c.oid::int AS oid, pg_total_relation_size(c.oid)::text AS size, c.reltuples::float8 AS rows
       FROM unnest($1::text[]) AS n(name)
       JOIN pg_class c ON c.oid = to_regclass(n.name)
      WHERE c.relkind IN ('r', 'p', 'm')`,
    [names],
  )
  const oids = tables.rows.map((row) => row.oid)
  const columns = await client.query<{
    oid: number
    attnum: number
    column: string
    type: string
    element: string | null
    typmod: number
    not_null: boolean
  }>(
    `SELECT a.attrelid::int AS oid, a.attnum::int AS attnum, a.attname AS column, t.typname AS type, e.typname AS element,
            a.atttypmod AS typmod, a.attnotnull AS not_null
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped`,
    [oids],
  )
  const checks = await client.query<{ oid: number; column: string }>(
    `SELECT conrelid::int AS oid, substring(pg_get_constraintdef(oid) from '^CHECK \\(\\(?"?([^" )]+)"? IS NOT NULL\\)?\\)$') AS column
       FROM pg_constraint
      WHERE conrelid = ANY($1::oid[]) AND contype = 'c' AND convalidated`,
    [oids],
  )
  // Which columns lead each index: a foreign key on them has its lookups served.
  const indexes = await client.query<{ oid: number; keys: number[] }>(
    `SELECT indrelid::int AS oid, string_to_array(indkey::text, ' ')::int[] AS keys
       FROM pg_index WHERE indrelid = ANY($1::oid[]) AND indisvalid AND indpred IS NULL`,
    [oids],
  )
  const facts = new Map<string, TableFacts>()
  for (const table of tables.rows) {
    const tableColumns = new Map<string, ColumnFacts>()
    for (const column of columns.rows.filter((c) => c.oid === table.oid)) {
      tableColumns.set(column.column, { type: typeFromCatalog(column), notNull: column.not_null })
    }
    facts.set(tableKey(table.name), {
      sizeBytes: Number(table.size),
      rows: table.rows,
      columns: tableColumns,
      notNullChecks: new Set(checks.rows.filter((c) => c.oid === table.oid && c.column).map((c) => c.column)),
      indexLeadingColumns: indexes.rows
        .filter((index) => index.oid === table.oid)
        .map((index) => {
          // Up to the first expression (attnum 0): only plain columns lead a foreign key's lookups.
          const plain = index.keys.indexOf(0) === -1 ? index.keys : index.keys.slice(0, index.keys.indexOf(0))
          return plain.map(
            (attnum) => columns.rows.find((c) => c.oid === table.oid && c.attnum === attnum)?.column ?? '?',
          )
        }),
    })
  }
  const length = await client.query<{ length: number | null }>(
    `SELECT character_maximum_length AS length FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND column_name = 'version_num'`,
    [versionTable.schema, versionTable.name],
  )
  const longTransactions = await client.query<LongTransaction>(
    `SELECT a.pid, a.usename AS user, a.application_name AS application, a.state,
            floor(extract(epoch FROM now() - a.xact_start))::int AS seconds,
            array_agg(DISTINCT l.relation::regclass::text) AS tables,
            left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120) AS query
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.relation = ANY($1::oid[]) AND a.pid <> pg_backend_pid()
        AND a.xact_start < now() - make_interval(secs => $2)
      GROUP BY a.pid, a.usename, a.application_name, a.state, a.xact_start, a.query
      ORDER BY a.xact_start`,
    [oids, longTransactionSeconds],
  )
  return {
    serverVersion,
    tables: facts,
    versionColumnLength: length.rows[0]?.length ?? 32,
    longTransactions: longTransactions.rows,
  }
}

/** A catalog type as the parser would name it: typmod decoded for varchar, char, numeric. */
function typeFromCatalog(column: { type: string; element: string | null; typmod: number }): TypeInfo {
  const array = column.element !== null
  const name = array ? column.element! : column.type
  const modifiers: number[] = []
  if (column.typmod >= 4 && (name === 'varchar' || name === 'bpchar')) modifiers.push(column.typmod - 4)
  if (column.typmod >= 4 && name === 'numeric')
    modifiers.push((column.typmod - 4) >> 16, (column.typmod - 4) & 0xffff)
  if (column.typmod >= 0 && (name === 'varbit' || name === 'bit')) modifiers.push(column.typmod)
  return { name, modifiers, array }
}
