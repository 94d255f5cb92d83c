import type pg from 'pg'
import { type HeldLock, readRelationLocks, readSessions, type SessionInfo } from './sessions.js'

/** A session in the blocking tree, with what it waits for and who waits for it. */
export interface BlockingNode {
  readonly session: SessionInfo
  /** The lock this session waits for, when it waits for one. */
  readonly waitingFor: HeldLock | undefined
  /** Seconds it has waited (PostgreSQL 14+ knows exactly; earlier: since its query started). */
  readonly waitSeconds: number | null
  /** Relation locks it holds. */
  readonly holds: readonly HeldLock[]
  /** Sessions waiting for this one. */
  readonly blocking: readonly BlockingNode[]
  /** Other sessions this one also waits for (it appears under each). */
  readonly alsoBlockedBy: readonly number[]
}

export interface BlockingReport {
  /** Sessions that block others without waiting themselves: where to act. */
  readonly roots: readonly BlockingNode[]
  /** How many sessions are waiting on a lock held by another. */
  readonly waiting: number
}

/**
 * Who blocks whom: a tree from each session that blocks others without itself waiting
 * (the one to end, or to wait for) down to every session stuck behind it, with the
 * lock each waits for, what the blocker holds, wait times and queries.
 */
export async function readBlocking(client: pg.ClientBase, serverVersionNum: number): Promise<BlockingReport> {
  // Relation locks are per database: sessions of other databases cannot block this one's.
  const sessions = await readSessions(client, 'a.datname = current_database()')
  const byPid = new Map(sessions.map((session) => [session.pid, session]))
  const waiters = sessions.filter((session) => session.blockedBy.length > 0)
  const involved = new Set<number>()
  for (const waiter of waiters) {
    involved.add(waiter.pid)
    for (const pid of waiter.blockedBy) involved.add(pid)
  }
  const locks = await readRelationLocks(client, [...involved])
  const waitStarts = await readWaitSeconds(client, [...involved], serverVersionNum)
  const build = (pid: number, path: ReadonlySet<number>): BlockingNode | undefined => {
    const session = byPid.get(pid)
    if (session === undefined) return undefined
    const next = new Set(path).add(pid)
    return {
      session,
      waitingFor: locks.find((lock) => lock.pid === pid && !lock.granted),
      waitSeconds: session.blockedBy.length > 0 ? (waitStarts.get(pid) ?? session.querySeconds) : null,
      holds: locks.filter((lock) => lock.pid === pid && lock.granted),
      blocking: waiters
        .filter((waiter) => waiter.blockedBy.includes(pid) && !next.has(waiter.pid))
        .map((waiter) => build(waiter.pid, next))
        .filter((node): node is BlockingNode => node !== undefined),
      alsoBlockedBy: [],
    }
  }
  const rootPids = [...involved].filter((pid) => (byPid.get(pid)?.blockedBy.length ?? 0) === 0)
  // A deadlock-in-progress has no root; its first waiter stands in, so nothing is hidden.
  if (rootPids.length === 0 && waiters.length > 0) rootPids.push(waiters[0]!.pid)
  const roots = rootPids
    .sort((a, b) => (byPid.get(b)?.transactionSeconds ?? 0) - (byPid.get(a)?.transactionSeconds ?? 0))
    .map((pid) => build(pid, new Set()))
    .filter((node): node is BlockingNode => node !== undefined)
    .map((node) => withAlsoBlockedBy(node, undefined))
  return { roots, waiting: waiters.length }
}

function withAlsoBlockedBy(node: BlockingNode, parent: number | undefined): BlockingNode {
  return {
    ...node,
    alsoBlockedBy: node.session.blockedBy.filter((pid) => pid !== parent),
    blocking: node.blocking.map((child) => withAlsoBlockedBy(child, node.session.pid)),
  }
}

async function readWaitSeconds(
  client: pg.ClientBase,
  pids: readonly number[],
  serverVersionNum: number,
): Promise<Map<number, number>> {
  // pg_locks.waitstart exists from PostgreSQL 14.
  if (pids.length === 0 || serverVersionNum < 140000) return new Map()
  const { rows } = await client.query<{ pid: number; seconds: number }>(
    `SELECT pid, round(extract(epoch FROM now() - min(waitstart))::numeric, 1)::float8 AS seconds
       FROM pg_locks WHERE pid = ANY($1) AND NOT granted AND waitstart IS NOT NULL GROUP BY pid`,
    [pids],
  )
  return new Map(rows.map((row) => [row.pid, row.seconds]))
}
