import type pg from 'pg'
import { operatorName } from '../util/operator.js'
import { quoteLiteral } from './quote.js'
import { readStateTable } from './state-table-access.js'
import { type QualifiedName, qualified, tableExists } from './version-table.js'

/** What is recorded for every step Strata takes. */
export interface HistoryEntry {
  readonly revision: string
  readonly direction: 'up' | 'down' | 'stamp'
  readonly startedAt: Date
  readonly finishedAt: Date
  readonly outcome: 'success' | 'failed'
  readonly error?: string | undefined
  readonly toolVersion: string
  readonly checksum?: string | undefined
  readonly message?: string | undefined
  readonly backupId?: string | undefined
}

/** A row of `strata_history` as read back. */
export interface HistoryRow extends HistoryEntry {
  readonly id: number
  readonly durationMs: number
  readonly dbUser: string
  readonly clientHost: string | null
  readonly operator: string | null
}

export function createHistoryTableSql(table: QualifiedName): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(table)} (
  id bigserial PRIMARY KEY,
  revision varchar(32) NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down', 'stamp')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failed')),
  error text,
  db_user text NOT NULL DEFAULT current_user,
  client_host text DEFAULT host(inet_client_addr()),
  operator text,
  tool_version text NOT NULL,
  checksum text,
  message text,
  backup_id text
)`
}

const COLUMNS =
  'revision, direction, started_at, finished_at, duration_ms, outcome, error, operator, tool_version, checksum, message, backup_id'

/** An SQL expression the server evaluates, in place of a value. */
interface SqlExpression {
  readonly sql: string
}

type Timed = { readonly startedAt: unknown; readonly finishedAt: unknown; readonly durationMs: unknown }

/** A history row's values in the order of COLUMNS: the one place that order is written. */
function rowValues(
  entry: Omit<HistoryEntry, 'startedAt' | 'finishedAt'>,
  times: Timed,
  outcome: unknown = entry.outcome,
): unknown[] {
  return [
    entry.revision,
    entry.direction,
    times.startedAt,
    times.finishedAt,
    times.durationMs,
    outcome,
    entry.error ?? null,
    operatorName(),
    entry.toolVersion,
    entry.checksum ?? null,
    entry.message ?? null,
    entry.backupId ?? null,
  ]
}

export async function recordHistory(
  client: pg.ClientBase,
  table: QualifiedName,
  entry: HistoryEntry,
): Promise<void> {
  const row = rowValues(entry, {
    startedAt: entry.startedAt,
    finishedAt: entry.finishedAt,
    durationMs: Math.max(0, Math.round(entry.finishedAt.getTime() - entry.startedAt.getTime())),
  })
  await client.query(
    `INSERT INTO ${qualified(table)} (${COLUMNS}) VALUES (${row.map((_, index) => `$${index + 1}`).join(', ')})`,
    row,
  )
}

/** Writes a value into SQL: as a literal, or as a parameter of a prepared statement. */
export type ValueWriter = (value: string | null) => string

export const literalValue: ValueWriter = (value) => (value === null ? 'NULL' : quoteLiteral(value))

/**
 * The values of a history row as SQL, for the record statement that travels with a
 * migration's own statements (online and in offline scripts). The times (and, when
 * given, the outcome) are SQL expressions evaluated by the server; the other values
 * go through `write` (literals by default).
 */
export function historyValuesSql(
  entry: Omit<HistoryEntry, 'startedAt' | 'finishedAt'>,
  times: {
    readonly startedAt: string
    readonly finishedAt: string
    readonly durationMs: string
    /** Default: the entry's outcome as a value. */
    readonly outcome?: string
  },
  write: ValueWriter = literalValue,
): { columns: string; values: string } {
  const expression = (sql: string): SqlExpression => ({ sql })
  const row = rowValues(
    entry,
    {
      startedAt: expression(times.startedAt),
      finishedAt: expression(times.finishedAt),
      durationMs: expression(times.durationMs),
    },
    times.outcome === undefined ? entry.outcome : expression(times.outcome),
  )
  const sql = (value: unknown) =>
    value === null || value === undefined
      ? write(null)
      : typeof value === 'object'
        ? (value as SqlExpression).sql
        : write(String(value))
  return { columns: COLUMNS, values: row.map(sql).join(', ') }
}

/** Every history row, oldest first; an empty list when the table does not exist. */
export async function readHistory(client: pg.ClientBase, table: QualifiedName): Promise<HistoryRow[]> {
  if (!(await tableExists(client, table))) return []
  const { rows } = await client.query(
    `SELECT id, revision, direction, started_at, finished_at, duration_ms, outcome, error, db_user, client_host, operator, tool_version, checksum, message, backup_id FROM ${qualified(table)} ORDER BY id`,
  )
  return rows.map((row) => ({
    id: Number(row.id),
    revision: row.revision,
    direction: row.direction,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    error: row.error ?? undefined,
    dbUser: row.db_user,
    clientHost: row.client_host,
    operator: row.operator,
    toolVersion: row.tool_version,
    checksum: row.checksum ?? undefined,
    message: row.message ?? undefined,
    backupId: row.backup_id ?? undefined,
  }))
}

/**
 * When the last failed upgrade of `revision` that started before `before` finished;
 * undefined when none did.
 */
export async function lastFailedUpgrade(
  client: pg.ClientBase,
  table: QualifiedName,
  revision: string,
  before: Date,
): Promise<Date | undefined> {
  const { rows } = await client.query<{ at: Date | null }>(
    `SELECT max(finished_at) AS at FROM ${qualified(table)}
      WHERE revision = $1 AND direction = 'up' AND outcome = 'failed' AND started_at < $2`,
    [revision, before],
  )
  return rows[0]?.at ?? undefined
}

/**
 * The last stamp since `revision` was last applied, when no downgrade undid it since:
 * the version table was moved below the revision with its changes left in place.
 */
export async function stampBelowApplied(
  client: pg.ClientBase,
  table: QualifiedName,
  revision: string,
): Promise<{ applied: Date; stamped: Date; target: string } | undefined> {
  const { rows } = await client.query<{ applied: Date; stamped: Date; target: string }>(
    `WITH applied AS (
       SELECT max(finished_at) AS at FROM ${qualified(table)}
        WHERE revision = $1 AND direction = 'up' AND outcome = 'success')
     SELECT applied.at AS applied, s.finished_at AS stamped, s.revision AS target
       FROM applied JOIN ${qualified(table)} s
         ON s.direction = 'stamp' AND s.outcome = 'success' AND s.finished_at > applied.at
      WHERE NOT EXISTS (SELECT 1 FROM ${qualified(table)} d
                         WHERE d.revision = $1 AND d.direction = 'down' AND d.outcome = 'success'
                           AND d.finished_at > applied.at)
      ORDER BY s.finished_at DESC LIMIT 1`,
    [revision],
  )
  return rows[0]
}

/**
 * The checksum each revision had when it was last applied successfully, read with one
 * light query (no timestamps to parse), for the drift check of every command.
 */
export async function readAppliedChecksums(
  client: pg.ClientBase,
  table: QualifiedName,
): Promise<Map<string, string>> {
  if (!(await tableExists(client, table))) return new Map()
  const { rows } = await readStateTable(client, table, 'history table', () =>
    client.query<{ revision: string; checksum: string }>(
      `SELECT DISTINCT ON (revision) revision, checksum FROM ${qualified(table)}
        WHERE direction = 'up' AND outcome = 'success' AND checksum IS NOT NULL
        ORDER BY revision, id DESC`,
    ),
  )
  return new Map(rows.map((row) => [row.revision, row.checksum]))
}
