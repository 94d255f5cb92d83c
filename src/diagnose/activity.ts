import type pg from 'pg'
import { readSessions, type SessionInfo } from './sessions.js'

export interface ActivityReport {
  /** Client sessions that are not idle, oldest transaction first. */
  readonly sessions: readonly SessionInfo[]
  /** Active queries running longer than the threshold. */
  readonly longRunning: readonly number[]
  /** Sessions idle inside a transaction longer than the threshold: they hold locks and stall vacuum. */
  readonly idleInTransaction: readonly number[]
  /** Sessions per state, for the headline. */
  readonly byState: Readonly<Record<string, number>>
  readonly thresholdSeconds: number
  /**
   * Sessions in this database whose state and query this role may not read (other roles'
   * sessions, without pg_read_all_stats): counted, so that "none" is never said of them.
   */
  readonly hidden: number
}

/** What the client sessions of this database are doing (the guide's "check for blocking queries"). */
export async function readActivity(client: pg.ClientBase, thresholdSeconds: number): Promise<ActivityReport> {
  const all = await readSessions(
    client,
    `a.backend_type = 'client backend' AND a.datname = current_database()`,
  )
  const byState: Record<string, number> = {}
  for (const session of all)
    byState[session.state ?? 'unknown'] = (byState[session.state ?? 'unknown'] ?? 0) + 1
  const sessions = all.filter((session) => session.state !== 'idle')
  const { rows } = await client.query<{ hidden: number }>(
    `SELECT count(*)::int AS hidden FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type IS NULL AND pid <> pg_backend_pid()`,
  )
  return {
    hidden: rows[0]?.hidden ?? 0,
    sessions,
    longRunning: sessions
      .filter((session) => session.state === 'active' && (session.querySeconds ?? 0) > thresholdSeconds)
      .map((session) => session.pid),
    idleInTransaction: sessions
      .filter(
        (session) =>
          session.state?.startsWith('idle in transaction') &&
          (session.transactionSeconds ?? 0) > thresholdSeconds,
      )
      .map((session) => session.pid),
    byState,
    thresholdSeconds,
  }
}
