import pg from 'pg'
import { toClientConfig } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { truncate } from '../util/describe-value.js'
import { formatDuration } from '../util/duration.js'

/** The application name pg_dump runs under, so that its sessions can be told apart. */
export function dumpApplicationName(spec: ConnectionSpec): string {
  return `${spec.applicationName} pg_dump`.slice(0, 63)
}

interface Waiting {
  readonly relation: string
  readonly blocker: number
  readonly user: string | null
  readonly application: string | null
  readonly ageMs: number | null
  readonly query: string | null
}

/**
 * pg_dump takes a share lock on every table it dumps before it reads any; behind a
 * session holding a table exclusively (a long migration, a LOCK TABLE) it waits without
 * a word, and the backup seems to hang. While `dump` runs, after a few seconds, a
 * connection of its own looks for pg_dump's sessions waiting for a lock and says once
 * per blocker which table, which session and what it runs. Fast backups never connect.
 */
export async function reportDumpLockWaits<T>(
  spec: ConnectionSpec,
  dump: Promise<T>,
  notice: (line: string) => void,
  delayMs = 2000,
): Promise<T> {
  let done = false
  let client: pg.Client | undefined
  let connecting: Promise<unknown> | undefined
  const told = new Set<number>()
  const connection = async (): Promise<pg.Client> => {
    if (client === undefined) {
      client = new pg.Client({ ...toClientConfig(spec, false), application_name: 'strata-lock-watch' })
      client.on('error', () => undefined) // a dropped watcher connection only ends the notices
      connecting = client.connect()
    }
    await connecting
    return client
  }
  const look = async (): Promise<void> => {
    const watcher = await connection()
    // A cheap look first (no pg_locks): is any pg_dump session waiting for a lock at all?
    const waiting = await watcher.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' LIMIT 1",
      [dumpApplicationName(spec)],
    )
    if (waiting.rows.length === 0) return
    const { rows } = await watcher.query<Waiting>(
      `SELECT l.relation::regclass::text AS relation, b.pid AS blocker, b.usename AS user,
              b.application_name AS application,
              (extract(epoch FROM now() - b.xact_start) * 1000)::bigint AS "ageMs", b.query
         FROM pg_stat_activity a
         JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL
         CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS blocking(pid)
         JOIN pg_stat_activity b ON b.pid = blocking.pid
        WHERE a.application_name = $1 AND a.datname = current_database()`,
      [dumpApplicationName(spec)],
    )
    for (const row of rows) {
      if (told.has(row.blocker)) continue
      told.add(row.blocker)
      notice(
        `pg_dump is waiting for a lock on ${row.relation}, held by pid ${row.blocker} (${[row.user, row.application, row.ageMs === null ? undefined : `transaction open ${formatDuration(Number(row.ageMs))}`].filter(Boolean).join(', ')}): ${truncate((row.query ?? '').replace(/\s+/g, ' ').replace(/;\s*$/, ''), 120)}; the backup goes on once it is released (\`strata diagnose blocking\` shows the tree, \`strata diagnose terminate ${row.blocker}\` ends that session)`,
      )
    }
  }
  const watching = (async () => {
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref())
    while (!done) {
      // Looking is best effort: the backup matters, not the notice.
      await look().catch(() => undefined)
      if (!done) await new Promise((resolve) => setTimeout(resolve, 1000).unref())
    }
  })()
  try {
    return await dump
  } finally {
    done = true
    await client?.end().catch(() => undefined)
    // Not awaited: the watcher ends by itself at its next wake-up (its timers are unref'd).
    void watching
  }
}
