import type pg from 'pg'
import {
  EXCLUSIVELY_LOCKED,
  exclusivelyLockedSql,
  relationSizeSql,
  totalRelationSizeSql,
} from '../db/relation-size.js'
import type { QualifiedName } from '../db/version-table.js'
import type { TypeInfo } from './ast.js'
import { type ColumnFacts, type ColumnReader, type TableFacts, tableKey } from './schema-model.js'

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
  // Loaded here, not with the module: an offline check never connects.
  const { readServerVersionNum } = await import('../db/connect.js')
  const serverVersion = Math.floor((await readServerVersionNum(client)) / 10000)
  const names = [...new Set(tableNames.filter((name) => !name.startsWith('(')))]
  const tables = await client.query<{
    name: string
    oid: number
    size: string
    heap: string
    kind: string
    relation: string
    locked: boolean
    rows: number
  }>(
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT n.name, c.oid::int AS oid, (${totalRelationSizeSql('c.oid', 'c.reltoastrelid', 'lk.locked')})::text AS size,
            (${relationSizeSql('c.oid')})::text AS heap, c.relkind AS kind, lk.locked,
            c.oid::regclass::text AS relation, c.reltuples::float8 AS rows
       FROM unnest($1::text[]) AS n(name)
       JOIN pg_class c ON c.oid = to_regclass(n.name)
       CROSS JOIN LATERAL (SELECT ${exclusivelyLockedSql('c.oid', 'c.reltoastrelid')} AS locked) lk
      WHERE c.relkind IN ('r', 'p', 'm')`,
    [names],
  )
  const oids = tables.rows.map((row) => row.oid)
  const counted = await rowsOfUnanalysedTables(client, tables.rows)
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
  const primaryKeys = await client.query<{ oid: number; name: string }>(
    `SELECT conrelid::int AS oid, conname::text AS name FROM pg_constraint WHERE conrelid = ANY($1::oid[]) AND contype = 'p'`,
    [oids],
  )
  // Logical replication identifies updated and deleted rows by the primary key unless the
  // table says otherwise (REPLICA IDENTITY FULL or USING INDEX).
  const publications = await client.query<{ oid: number; names: string[] }>(
    `SELECT c.oid::int AS oid, array_agg(DISTINCT p.pubname::text ORDER BY p.pubname::text) AS names
       FROM pg_publication p
       CROSS JOIN LATERAL pg_get_publication_tables(p.pubname) AS t
       JOIN pg_class c ON c.oid = t.relid
      WHERE c.oid = ANY($1::oid[]) AND c.relreplident = 'd' AND (p.pubupdate OR p.pubdelete)
      GROUP BY c.oid`,
    [oids],
  )
  const readers = await readColumnReaders(client, oids)
  // A partitioned table's partitions: its indexes are built partition by partition.
  const partitioned = tables.rows.filter((table) => table.kind === 'p').map((table) => table.oid)
  const inherits =
    partitioned.length === 0
      ? []
      : (
          await client.query<{ oid: number; partitions: string[] }>(
            `SELECT inhparent::int AS oid, array_agg(inhrelid::regclass::text ORDER BY inhrelid::regclass::text) AS partitions
               FROM pg_inherits WHERE inhparent = ANY($1::oid[]) GROUP BY inhparent`,
            [partitioned],
          )
        ).rows
  const facts = new Map<string, TableFacts>()
  for (const table of tables.rows) {
    const tableColumns = new Map<string, ColumnFacts>()
    for (const column of columns.rows.filter((c) => c.oid === table.oid)) {
      tableColumns.set(column.column, { type: typeFromCatalog(column), notNull: column.not_null })
    }
    facts.set(tableKey(table.name), {
      sizeBytes: Number(table.size),
      rows: counted.get(table.oid)?.rows ?? table.rows,
      rowsCounted: counted.get(table.oid)?.how === 'counted',
      rowsPlanned: counted.get(table.oid)?.how === 'planned',
      sizeEstimated: table.locked,
      ...(table.kind === 'p'
        ? { partitions: inherits.find((entry) => entry.oid === table.oid)?.partitions ?? [] }
        : {}),
      ...primaryKeyFacts(table.oid, primaryKeys.rows, publications.rows),
      ...(readers.has(table.oid) ? { columnReaders: readers.get(table.oid)! } : {}),
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

/**
 * The views and stored generated columns that read each column of the tables, by table
 * oid: a statement that retypes or drops such a column fails unless the migration takes
 * them down first.
 */
async function readColumnReaders(
  client: pg.ClientBase,
  oids: readonly number[],
): Promise<Map<number, Map<string, ColumnReader[]>>> {
  const { rows } = await client.query<{
    oid: number
    column: string
    kind: string
    name: string
    drop_name: string
    definition: string
  }>(
    // pg_get_viewdef and pg_get_expr open the relations they name (ACCESS SHARE): a table
    // another session holds or awaits exclusively is left out rather than waited for.
    `WITH ${EXCLUSIVELY_LOCKED}
     SELECT DISTINCT d.refobjid::int AS oid, a.attname AS column, v.relkind::text AS kind,
            v.oid::regclass::text AS name, v.oid::regclass::text AS drop_name,
            pg_get_viewdef(v.oid, true) AS definition
       FROM pg_depend d
       JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
       JOIN pg_class v ON v.oid = r.ev_class AND v.oid <> d.refobjid
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::oid[]) AND d.refobjsubid > 0
        AND NOT EXISTS (SELECT 1 FROM pg_depend o WHERE o.classid = 'pg_rewrite'::regclass AND o.objid = r.oid
                          AND o.refobjid IN (SELECT relation FROM exclusively_locked))
     UNION
     SELECT ad.adrelid::int, a.attname, 'g', g.attname, ad.adrelid::regclass::text || '.' || quote_ident(g.attname),
            quote_ident(g.attname) || ' ' || format_type(g.atttypid, g.atttypmod) || ' GENERATED ALWAYS AS ('
              || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
       FROM pg_attrdef ad
       JOIN pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum AND g.attgenerated = 's'
       JOIN pg_depend d ON d.objid = ad.oid AND d.classid = 'pg_attrdef'::regclass AND d.refobjid = ad.adrelid
                       AND d.refobjsubid <> ad.adnum AND d.refobjsubid > 0
       JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = d.refobjsubid
      WHERE ad.adrelid = ANY($1::oid[]) AND ad.adrelid NOT IN (SELECT relation FROM exclusively_locked)
      ORDER BY 1, 2, 4`,
    [oids],
  )
  const byTable = new Map<number, Map<string, ColumnReader[]>>()
  for (const row of rows) {
    const columns = byTable.get(row.oid) ?? new Map<string, ColumnReader[]>()
    byTable.set(row.oid, columns)
    const list = columns.get(row.column) ?? []
    columns.set(row.column, list)
    list.push(columnReader(row))
  }
  return byTable
}

function columnReader(row: {
  kind: string
  name: string
  drop_name: string
  definition: string
}): ColumnReader {
  if (row.kind === 'g') {
    const table = row.drop_name.slice(0, row.drop_name.lastIndexOf('.'))
    return {
      what: `generated column ${row.drop_name}`,
      name: row.drop_name,
      drop: `ALTER TABLE ${table} DROP COLUMN ${row.drop_name.slice(table.length + 1)};`,
      create: `ALTER TABLE ${table} ADD COLUMN ${row.definition};`,
    }
  }
  const kind = row.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW'
  return {
    what: `${kind.toLowerCase()} ${row.name}`,
    name: row.name,
    drop: `DROP ${kind} ${row.name};`,
    create: `CREATE ${kind} ${row.name} AS\n${row.definition.trim().replace(/;$/, '')};`,
  }
}

function primaryKeyFacts(
  oid: number,
  primaryKeys: readonly { oid: number; name: string }[],
  publications: readonly { oid: number; names: string[] }[],
): Pick<TableFacts, 'primaryKey' | 'publishedBy'> {
  const primaryKey = primaryKeys.find((key) => key.oid === oid)?.name
  const publishedBy = publications.find((entry) => entry.oid === oid)?.names
  return {
    ...(primaryKey === undefined ? {} : { primaryKey }),
    ...(publishedBy === undefined ? {} : { publishedBy }),
  }
}

/** Tables up to this heap size are counted when never analysed: a scan of ms. */
const COUNTABLE_HEAP_BYTES = 8 * 1024 * 1024

/**
 * Row counts of the tables the planner has no statistics for (reltuples -1: created
 * since the last autovacuum's ANALYZE, as a fresh deployment's tables are), so the
 * report says "1,000 rows" rather than "rows unknown": small ones counted exactly,
 * larger ones as the planner estimates them from their size on disk (EXPLAIN, no scan).
 * Each waits at most 100 ms for its lock and runs at most 1 s: a migration holding the
 * table, or a slow disk, leaves the row count unknown instead of holding up the check.
 */
async function rowsOfUnanalysedTables(
  client: pg.ClientBase,
  tables: readonly { oid: number; heap: string; kind: string; relation: string; rows: number }[],
): Promise<Map<number, { rows: number; how: 'counted' | 'planned' }>> {
  const counts = new Map<number, { rows: number; how: 'counted' | 'planned' }>()
  // Counting opens and ends a transaction of its own: never inside the caller's.
  const idle = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.() === 'I'
  if (!idle) return counts
  const unanalysed = tables.filter((table) => table.rows < 0 && (table.kind === 'r' || table.kind === 'm'))
  for (const table of unanalysed) {
    const small = Number(table.heap) <= COUNTABLE_HEAP_BYTES
    try {
      await client.query(
        `BEGIN READ ONLY; SET LOCAL lock_timeout = '100ms'; SET LOCAL statement_timeout = '1s'`,
      )
      // regclass output: the name as PostgreSQL quotes it, schema-qualified unless on the search path.
      if (small) {
        const result = await client.query<{ rows: string }>(
          `SELECT count(*)::text AS rows FROM ONLY ${table.relation}`,
        )
        counts.set(table.oid, { rows: Number(result.rows[0]!.rows), how: 'counted' })
      } else {
        const plan = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
          `EXPLAIN (FORMAT JSON) SELECT 1 FROM ONLY ${table.relation}`,
        )
        const rows = plan.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows']
        if (typeof rows === 'number') counts.set(table.oid, { rows, how: 'planned' })
      }
    } catch {
      // A lock held or a timeout: the count stays unknown, as the planner's.
    } finally {
      await client.query('ROLLBACK')
    }
  }
  return counts
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
