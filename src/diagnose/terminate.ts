import type pg from 'pg'
import { INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import { InvalidInputError, OperationFailedError } from '../errors/index.js'
import { type HeldLock, readRelationLocks, readSessions, type SessionInfo } from './sessions.js'

/** What `strata diagnose terminate` shows before it asks. */
export interface TerminationTarget {
  readonly session: SessionInfo
  readonly holds: readonly HeldLock[]
  /** Sessions waiting for this one. */
  readonly blocking: readonly number[]
}

/**
 * The session `pid` and what ending it would release. Refuses (exit 2) this very
 * session, a pid that is not a session, and server processes that are not client
 * sessions (autovacuum, replication, background workers).
 */
export async function describeTermination(client: pg.ClientBase, pid: number): Promise<TerminationTarget> {
  const own = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  if (pid === own) {
    throw new InvalidInputError(`pid ${pid} is Strata's own session: refusing to end it`, {
      hint: 'pick the pid of the blocking session from `strata diagnose blocking`',
    })
  }
  const sessions = await readSessions(client)
  const session = sessions.find((candidate) => candidate.pid === pid)
  if (session === undefined) {
    throw new InvalidInputError(`no session with pid ${pid} on this server (it may have ended already)`, {
      hint: '`strata diagnose activity` lists the current sessions',
    })
  }
  if (session.backendType !== 'client backend') {
    throw new InvalidInputError(
      `pid ${pid} is a server process (${session.backendType}), not a client session: refusing to end it`,
      {
        hint: 'ending server processes is for the server to decide; only client sessions can be ended here',
      },
    )
  }
  return {
    session,
    holds: (await readRelationLocks(client, [pid])).filter((lock) => lock.granted),
    blocking: sessions.filter((other) => other.blockedBy.includes(pid)).map((other) => other.pid),
  }
}

/**
 * Ends the session (`pg_terminate_backend`; its open transaction rolls back) or, with
 * `cancel`, only its running query (`pg_cancel_backend`), and waits up to `waitMs` for
 * it to go.
 */
export async function terminateSession(
  client: pg.ClientBase,
  pid: number,
  options: { cancel?: boolean; waitMs?: number } = {},
): Promise<{ signalled: boolean; ended: boolean }> {
  const fn = options.cancel ? 'pg_cancel_backend' : 'pg_terminate_backend'
  let signalled: boolean
  try {
    signalled = (await client.query<{ ok: boolean }>(`SELECT ${fn}($1) AS ok`, [pid])).rows[0]!.ok
  } catch (error) {
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
      throw new OperationFailedError(`not allowed to signal pid ${pid}: ${(error as Error).message}`, {
        hint: "connect as the session's role, a superuser, or a role granted pg_signal_backend (GRANT pg_signal_backend TO ...)",
      })
    }
    throw error
  }
  if (options.cancel || !signalled) return { signalled, ended: false }
  const deadline = Date.now() + (options.waitMs ?? 5000)
  while (Date.now() < deadline) {
    const alive = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])
    if (alive.rowCount === 0) return { signalled, ended: true }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { signalled, ended: false }
}
