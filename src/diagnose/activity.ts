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
  return {
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
