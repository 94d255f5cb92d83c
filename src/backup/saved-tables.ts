// The copies an upgrade or downgrade keeps in `strata_saved` of the tables it destroys
// when no pg_dump can back the server up: made, listed, expired and dropped here.
import type pg from 'pg'
import { quoteIdent, quoteLiteral, quoteTableName } from '../db/quote.js'
import { prettySize } from '../diagnose/sizes.js'
import { fileTimestamp } from './backup-names.js'
import { SAVED_SCHEMA } from './saved-data.js'

/** The tables were too big to copy on the server; the message says how big. */
export class SavedTablesTooBigError extends Error {}

/**
 * Copies `tables` (names as the downgrade's SQL gives them, resolved with the
 * connection's search path) into `strata_saved`, each as `<table>_<time>`, in one
 * transaction: all are copied or none (columns of the database's own types as text).
 * `CREATE TABLE AS` reads under ACCESS SHARE, so the application's reads and writes go
 * on. Refuses copies over `limitBytes` in total:
 * a copy needs as much free disk as the tables take, which SQL cannot see, and a file
 * backup is then the better tool.
 *
 * @returns the copies' qualified names, in the order of `tables`
 */
export async function saveTablesOnServer(
  client: pg.ClientBase,
  tables: readonly string[],
  /** Why the copy of `tables[index]` is made, kept in its comment. */
  why: (index: number) => string,
  limitBytes: number,
  now = new Date(),
): Promise<string[]> {
  const { rows } = await client.query<{ bytes: string | null }>(
    'SELECT sum(pg_total_relation_size(to_regclass(t)))::text AS bytes FROM unnest($1::text[]) AS t',
    [tables.map(quoteTableName)],
  )
  const bytes = Number(rows[0]?.bytes ?? 0)
  if (bytes > limitBytes) {
    throw new SavedTablesTooBigError(
      limitBytes === 0
        ? 'copies on the server are turned off (backup.serverCopyLimitMb: 0)'
        : `copying ${tables.join(', ')} would take ${prettySize(bytes)}, more than backup.serverCopyLimitMb (${prettySize(limitBytes)})`,
    )
  }
  const stamp = fileTimestamp(now)
  const names = uniqueNames(tables, stamp)
  await client.query('BEGIN')
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(SAVED_SCHEMA)}`)
    for (const [index, table] of tables.entries()) {
      const copy = `${quoteIdent(SAVED_SCHEMA)}.${quoteIdent(names[index]!)}`
      const copied = await client.query(
        `CREATE TABLE ${copy} AS SELECT ${await copiedColumns(client, table)} FROM ${quoteTableName(table)}`,
      )
      await client.query(
        `COMMENT ON TABLE ${copy} IS ${quoteLiteral(copyComment(table, now, copied.rowCount ?? undefined, why(index)))}`,
      )
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
  return names.map((name) => `${SAVED_SCHEMA}.${name}`)
}

/**
 * The select list of a copy: every column, those of a type the database defines itself
 * (an enum, a domain, a composite, an extension's type; arrays of them too) as text. A
 * copy that kept such a type would depend on it, and a later migration's `DROP TYPE`
 * (the downgrade that created the enum, say) would fail because of a table nobody uses.
 * Text keeps every value; it goes back with a cast (`status::order_status`).
 */
async function copiedColumns(client: pg.ClientBase, table: string): Promise<string> {
  const { rows } = await client.query<{ name: string; own_type: boolean }>(
    `SELECT a.attname AS name,
            coalesce(element.typnamespace, t.typnamespace) <> 'pg_catalog'::regnamespace AS own_type
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type element ON element.oid = nullif(t.typelem, 0) AND t.typcategory = 'A'
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [quoteTableName(table)],
  )
  if (rows.length === 0) return '*'
  return rows
    .map((row) =>
      row.own_type ? `${quoteIdent(row.name)}::text AS ${quoteIdent(row.name)}` : quoteIdent(row.name),
    )
    .join(', ')
}

/** `users_20261130_111812`, `billing_invoices_...`; a suffix when two would collide; 63 bytes at most. */
function uniqueNames(tables: readonly string[], stamp: string): string[] {
  const taken = new Set<string>()
  return tables.map((table) => {
    const base = table.replace(/\./g, '_').slice(0, 63 - stamp.length - 4)
    let name = `${base}_${stamp}`
    for (let n = 2; taken.has(name); n++) name = `${base}_${stamp}_${n}`
    taken.add(name)
    return name
  })
}

// Each copy says in its comment what it copies, when, how many rows (the exact count
// CREATE TABLE AS reported; the planner's estimate is unreliable for a table never
// analysed) and why: "users at 2026-11-30T11:19:30.000Z (1204 rows): destroyed by a
// downgrade (...)". Written and read here only; copies made before the count have none.
function copyComment(table: string, at: Date, rows: number | undefined, why: string): string {
  return `${table} at ${at.toISOString()}${rows === undefined ? '' : ` (${rows} rows)`}: ${why}`
}

function readCopyComment(
  comment: string,
): { of: string; savedAt: string; rows: number | undefined; why: string } | undefined {
  const parts = /^(.+?) at (\d{4}-\d\d-\d\dT[\d:.]+Z)(?: \((\d+) rows\))?: (.*)$/s.exec(comment)
  if (parts === null) return undefined
  return {
    of: parts[1]!,
    savedAt: parts[2]!,
    rows: parts[3] === undefined ? undefined : Number(parts[3]),
    why: parts[4]!,
  }
}

/** A copy an upgrade or downgrade kept in `strata_saved` of a table it destroyed. */
export interface SavedCopy {
  /** `strata_saved.users_20261130_111930`. */
  readonly name: string
  /** The table it copies, as the migration named it. */
  readonly of: string | undefined
  /** When it was copied (from its comment; undefined when the comment is gone). */
  readonly savedAt: string | undefined
  /** Why: "destroyed by a downgrade (column users.email (b2))". */
  readonly why: string | undefined
  /** Rows copied (from its comment; undefined for copies made before it was recorded). */
  readonly rows: number | undefined
  readonly bytes: number
}

/** The copies in `strata_saved`, oldest first; none when the schema does not exist. */
export async function listSavedCopies(client: pg.ClientBase): Promise<SavedCopy[]> {
  const { rows } = await client.query<{ name: string; comment: string | null; bytes: string }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
            pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r'
      ORDER BY c.relname`,
    [SAVED_SCHEMA],
  )
  return rows
    .map((row) => {
      const comment = readCopyComment(row.comment ?? '')
      return {
        name: `${SAVED_SCHEMA}.${row.name}`,
        of: comment?.of,
        savedAt: comment?.savedAt,
        why: comment?.why,
        rows: comment?.rows,
        bytes: Number(row.bytes),
      }
    })
    .sort((a, b) => (a.savedAt ?? '').localeCompare(b.savedAt ?? ''))
}

/**
 * The copies retention would drop: saved more than `retentionDays` ago. A copy whose
 * comment (and so its time) is gone is never chosen: nothing says it is old.
 */
export function expiredCopies(
  copies: readonly SavedCopy[],
  retentionDays: number,
  now = new Date(),
): SavedCopy[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000
  return copies.filter((copy) => copy.savedAt !== undefined && Date.parse(copy.savedAt) < cutoff)
}

/** Drops copies in one transaction (all or none); the schema goes with the last one. */
export async function dropSavedCopies(client: pg.ClientBase, copies: readonly SavedCopy[]): Promise<void> {
  if (copies.length === 0) return
  await client.query('BEGIN')
  try {
    for (const copy of copies) {
      const table = copy.name.slice(SAVED_SCHEMA.length + 1)
      await client.query(`DROP TABLE ${quoteIdent(SAVED_SCHEMA)}.${quoteIdent(table)}`)
    }
    const left = await client.query(
      "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind <> 'i' LIMIT 1",
      [SAVED_SCHEMA],
    )
    if (left.rows.length === 0) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SAVED_SCHEMA)}`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
