import type pg from 'pg'
import { formatDuration } from '../util/duration.js'

/** What the migrating session is doing, read from the server while a statement runs long. */
export interface StatementProgress {
  readonly runningMs: number
  readonly waitEventType: string | null
  readonly waitEvent: string | null
  /** An index build (`pg_stat_progress_create_index`, PostgreSQL 12+). */
  readonly indexBuild?: {
    readonly index: string
    readonly table: string
    readonly phase: string
    readonly blocksDone: number
    readonly blocksTotal: number
    readonly tuplesDone: number
    readonly tuplesTotal: number
  }
}

/**
 * Reads the progress of session `pid`: how long its statement has run, what it waits
 * on, and, for CREATE INDEX (CONCURRENTLY), the phase and how far it is. Undefined when
 * the session is idle (the statement finished between two looks).
 */
export async function readStatementProgress(
  client: pg.ClientBase,
  pid: number,
  withIndexBuilds: boolean,
): Promise<StatementProgress | undefined> {
  const { rows } = await client.query(
    withIndexBuilds
      ? `SELECT (extract(epoch FROM clock_timestamp() - a.query_start) * 1000)::bigint AS ms,
                a.wait_event_type, a.wait_event, p.phase, p.blocks_done, p.blocks_total,
                p.tuples_done, p.tuples_total,
                p.index_relid::regclass::text AS index, p.relid::regclass::text AS table
           FROM pg_stat_activity a LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid
          WHERE a.pid = $1 AND a.state = 'active'`
      : `SELECT (extract(epoch FROM clock_timestamp() - a.query_start) * 1000)::bigint AS ms,
                a.wait_event_type, a.wait_event
           FROM pg_stat_activity a WHERE a.pid = $1 AND a.state = 'active'`,
    [pid],
  )
  const row = rows[0]
  if (row === undefined) return undefined
  return {
    runningMs: Number(row.ms),
    waitEventType: row.wait_event_type,
    waitEvent: row.wait_event,
    ...(row.phase
      ? {
          indexBuild: {
            index: row.index,
            table: row.table,
            phase: row.phase,
            blocksDone: Number(row.blocks_done),
            blocksTotal: Number(row.blocks_total),
            tuplesDone: Number(row.tuples_done),
            tuplesTotal: Number(row.tuples_total),
          },
        }
      : {}),
  }
}

/**
 * "still running after 30s: building index ix_users_email on users, building index:
 * scanning table, 12,345 of 45,678 blocks (27%)"; "still running after 30s, waiting
 * for Lock: relation". So that a long statement is seen to work, not to hang.
 */
export function describeStatementProgress(progress: StatementProgress): string {
  const parts = [`still running after ${formatDuration(progress.runningMs)}`]
  const build = progress.indexBuild
  if (build !== undefined) {
    const count = (done: number, total: number, unit: string) =>
      `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${unit} (${Math.floor((done / total) * 100)}%)`
    // A waiting phase keeps the counts of the phase before it: not shown.
    const amount = build.phase.startsWith('waiting')
      ? ''
      : build.blocksTotal > 0
        ? `, ${count(build.blocksDone, build.blocksTotal, 'blocks')}`
        : build.tuplesTotal > 0
          ? `, ${count(build.tuplesDone, build.tuplesTotal, 'tuples')}`
          : ''
    parts.push(`: index ${build.index} on ${build.table}, ${build.phase}${amount}`)
  }
  if (progress.waitEventType !== null && progress.waitEventType !== 'IO')
    parts.push(
      `${build === undefined ? ',' : ';'} waiting for ${progress.waitEventType}: ${progress.waitEvent}`,
    )
  return parts.join('')
}
