import pg from 'pg'
import { toClientConfig } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { truncate } from '../util/describe-value.js'
import { formatDuration } from '../util/duration.js'

/** A session that holds a lock the migration waits for. */
export interface Blocker {
  readonly pid: number
  readonly user: string | null
  readonly application: string | null
  readonly state: string | null
  /** How long its transaction has been open, in milliseconds. */
  readonly transactionAgeMs: number | null
  readonly query: string | null
}

/**
 * Watches the migrating session while a statement runs: once it has waited a moment,
 * a second connection asks `pg_blocking_pids` who blocks it, so that a lock timeout
 * can say exactly who was in the way. Fast statements never open that connection.
 */
export class LockWatcher {
  #client: pg.Client | undefined
  #latest: Blocker[] = []

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly pid: number,
    private readonly delayMs = 150,
    private readonly intervalMs = 250,
  ) {}

  /** The blockers seen during the last watched statement that had any. */
  get blockers(): readonly Blocker[] {
    return this.#latest
  }

  reset(): void {
    this.#latest = []
  }

  /** Resolves with `work`, polling for blockers while it is pending. */
  async watch<T>(work: Promise<T>): Promise<T> {
    let done = false
    let polling: Promise<void> | undefined
    let pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined
    const timer = setTimeout(() => {
      polling = (async () => {
        while (!done) {
          const found = await this.#poll().catch(() => [])
          if (found.length > 0) this.#latest = found
          if (done) break
          await new Promise<void>((resolve) => {
            pause = { timer: setTimeout(resolve, this.intervalMs), resolve }
          })
        }
      })()
    }, this.delayMs)
    try {
      return await work
    } finally {
      done = true
      clearTimeout(timer)
      // The work is over: end the pause between polls now rather than sleep it out.
      if (pause !== undefined) {
        clearTimeout(pause.timer)
        pause.resolve()
      }
      await polling
    }
  }

  async #poll(): Promise<Blocker[]> {
    if (this.#client === undefined) {
      this.#client = new pg.Client({
        ...toClientConfig(this.spec, false),
        application_name: 'strata-lock-watch',
      })
      this.#client.on('error', () => undefined)
      await this.#client.connect()
    }
    const { rows } = await this.#client.query(
      `SELECT a.pid, a.usename, a.application_name, a.state,
              (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint AS xact_ms, a.query
         FROM unnest(pg_blocking_pids($1)) AS b(pid) JOIN pg_stat_activity a ON a.pid = b.pid`,
      [this.pid],
    )
    return rows.map((row) => ({
      pid: row.pid,
      user: row.usename,
      application: row.application_name,
      state: row.state,
      transactionAgeMs: row.xact_ms === null ? null : Number(row.xact_ms),
      query: row.query,
    }))
  }

  async close(): Promise<void> {
    await this.#client?.end().catch(() => undefined)
    this.#client = undefined
  }
}

/** "pid 4242 (user app, psql, idle in transaction, transaction open 2m31s): UPDATE users SET …" */
export function describeBlocker(blocker: Blocker): string {
  const facts = [
    blocker.user ? `user ${blocker.user}` : undefined,
    blocker.application || undefined,
    blocker.state || undefined,
    blocker.transactionAgeMs === null
      ? undefined
      : `transaction open ${formatDuration(blocker.transactionAgeMs)}`,
  ].filter(Boolean)
  // Without its final semicolon: the description goes on after it ("...; rolled back").
  const query = blocker.query
    ? `: ${truncate(blocker.query.replace(/\s+/g, ' ').trim().replace(/;$/, ''), 120)}`
    : ''
  return `pid ${blocker.pid}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}${query}`
}
