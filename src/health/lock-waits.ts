import type { Connection } from '../db/connect.js'
import { type BlockingNode, readBlocking } from '../diagnose/blocking.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "No sessions stuck behind locks": sessions of this database that have waited longer
 * than `seconds` for a lock another session holds. Each blocking session at the root of
 * a queue is named with how many wait behind it: an `ALTER TABLE` queued behind an idle
 * transaction stops the application's reads of that table, which no other check sees.
 * A warning, not a failure: the blocker is often not the deploy's to end.
 */
export async function checkLockWaits(connection: Connection, seconds: number): Promise<CheckOutcome> {
  const report = await readBlocking(connection.client, connection.serverVersionNum)
  const roots = report.roots
    .map((root) => ({ root, longest: longestWait(root), waiting: countWaiting(root) }))
    .filter((entry) => entry.longest > seconds)
  if (roots.length === 0) {
    const now =
      report.waiting === 0
        ? 'no session waiting for a lock'
        : `${plural(report.waiting, 'session')} waiting, none longer than ${seconds}s`
    return { status: 'ok', summary: now }
  }
  const stuck = roots.reduce((sum, entry) => sum + entry.waiting, 0)
  return {
    status: 'warn',
    summary: `${plural(stuck, 'session')} waiting behind ${plural(roots.length, 'blocking session')}, the longest for ${Math.round(Math.max(...roots.map((entry) => entry.longest)))}s`,
    details: roots.map(({ root, longest, waiting }) => {
      const session = root.session
      const open =
        session.transactionSeconds === null
          ? ''
          : `, transaction open ${Math.round(session.transactionSeconds)}s`
      return `pid ${session.pid} (${session.user ?? '?'}${session.application ? `, ${session.application}` : ''}, ${session.state ?? 'unknown state'}${open}) blocks ${plural(waiting, 'session')}, one for ${Math.round(longest)}s: ${session.query.slice(0, 80)} — \`strata diagnose blocking\` shows the queue, \`strata diagnose terminate ${session.pid}\` ends it`
    }),
  }
}

function longestWait(node: BlockingNode): number {
  return Math.max(node.waitSeconds ?? 0, ...node.blocking.map(longestWait))
}

function countWaiting(node: BlockingNode): number {
  return node.blocking.reduce((sum, child) => sum + 1 + countWaiting(child), 0)
}
