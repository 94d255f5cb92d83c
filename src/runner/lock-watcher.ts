import pg from 'pg'
import { toClientConfig } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { truncate } from '../util/describe-value.js'
import { formatDuration } from '../util/duration.js'
import { describeStatementProgress, readStatementProgress } from './statement-progress.js'

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

export interface LockWatcherOptions {
  /** How long a statement runs before the watcher looks (ms). Default 150. */
  readonly delayMs?: number
  /** Between two looks (ms). Default 250. */
  readonly intervalMs?: number
  /**
   * Told how a long statement is getting on ("still running after 30s: index ... on
   * ..., building index: scanning table, 45%"), first after `slowAfterMs`, then every
   * `slowEveryMs` (default 10 s each).
   */
  readonly onSlow?: ((line: string) => void) | undefined
  readonly slowAfterMs?: number
  readonly slowEveryMs?: number
}

/**
 * Watches the migrating session while a statement runs: once it has waited a moment,
 * a second connection asks `pg_blocking_pids` who blocks it, so that a lock timeout
 * can say exactly who was in the way; and a statement that runs long is reported as it
 * goes, so that it is seen to work, not to hang. Fast statements never open that connection.
 */
export class LockWatcher {
  #client: pg.Client | undefined
  #latest: Blocker[] = []
  #indexProgress: boolean | undefined
  readonly #delayMs: number
  readonly #intervalMs: number

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly pid: number,
    private readonly options: LockWatcherOptions = {},
  ) {
    this.#delayMs = options.delayMs ?? 150
    this.#intervalMs = options.intervalMs ?? 250
  }

  /** The blockers seen during the last watched statement that had any. */
  get blockers(): readonly Blocker[] {
    return this.#latest
  }

  reset(): void {
    this.#latest = []
  }

  /**
   * Resolves with `work`, polling for blockers (and, when it runs long, for its
   * progress) while it is pending.
   *
   * @param label what the work is, for the progress lines (the revisions it runs)
   */
  async watch<T>(work: Promise<T>, label?: string): Promise<T> {
    let done = false
    let polling: Promise<void> | undefined
    let pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined
    const started = performance.now()
    let nextReport = this.options.slowAfterMs ?? 10_000
    const timer = setTimeout(() => {
      polling = (async () => {
        while (!done) {
          const found = await this.#poll().catch(() => [])
          if (found.length > 0) this.#latest = found
          if (this.options.onSlow && performance.now() - started >= nextReport && !done) {
            nextReport += this.options.slowEveryMs ?? 10_000
            const onSlow = this.options.onSlow
            await this.#reportProgress((line) => onSlow(label ? `${label}: ${line}` : line)).catch(
              () => undefined,
            )
          }
          if (done) break
          await new Promise<void>((resolve) => {
            pause = { timer: setTimeout(resolve, this.#intervalMs), resolve }
          })
        }
      })()
    }, this.#delayMs)
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

  async #connection(): Promise<pg.Client> {
    if (this.#client === undefined) {
      this.#client = new pg.Client({
        ...toClientConfig(this.spec, false),
        application_name: 'strata-lock-watch',
      })
      this.#client.on('error', () => undefined)
      await this.#client.connect()
    }
    return this.#client
  }

  async #reportProgress(report: (line: string) => void): Promise<void> {
    const client = await this.#connection()
    // pg_stat_progress_create_index exists from PostgreSQL 12 on.
    this.#indexProgress ??= (
      await client.query<{ ok: boolean }>(
        "SELECT to_regclass('pg_catalog.pg_stat_progress_create_index') IS NOT NULL AS ok",
      )
    ).rows[0]!.ok
    const progress = await readStatementProgress(client, this.pid, this.#indexProgress === true)
    if (progress !== undefined) report(describeStatementProgress(progress))
  }

  async #poll(): Promise<Blocker[]> {
    const client = await this.#connection()
    const { rows } = await client.query(
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
