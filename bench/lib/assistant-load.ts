import pg from 'pg'
import { percentile } from './measure.js'

/** One query of the load: when it started, how long it took, whether it failed. */
interface Sample {
  readonly startedAt: number
  readonly ms: number
  readonly failed: boolean
}

/** What the load saw in a window of time. */
export interface WindowReport {
  readonly queries: number
  readonly errors: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  readonly longestMs: number
  /** The first errors' messages, for the report. */
  readonly firstErrors: readonly string[]
}

/**
 * The local assistant's release 1 at work: look a user up by email, look a session up by
 * token, sign a user up, log a user in (find the account by email, add a session), rename
 * a user. `connections`
 * clients share `ratePerSecond`, each on its own schedule, until stopped. Every query is
 * timed, so any window (a baseline, the length of a deploy) can be reported afterwards.
 */
export function startAssistantLoad(
  url: string,
  options: { connections?: number; ratePerSecond?: number; maxUserId: number; label: string },
) {
  const connections = options.connections ?? 4
  const interval = (1000 * connections) / (options.ratePerSecond ?? 200)
  const samples: Sample[] = []
  const errors: string[] = []
  let running = true
  let signups = 0
  const worker = async (index: number) => {
    const client = new pg.Client({ connectionString: url, application_name: 'assistant-release-1' })
    client.on('error', () => undefined)
    await client.connect()
    for (let n = 0; running; n++) {
      const userId = 1 + Math.floor(Math.random() * options.maxUserId)
      const kind = (n + index) % 5
      const started = performance.now()
      let failed = false
      try {
        if (kind === 0)
          await client.query('SELECT id, email, name FROM users WHERE email = $1', [
            `user${userId}@example.com`,
          ])
        else if (kind === 1)
          await client.query('SELECT user_id, expires_at FROM user_sessions WHERE token = md5($1)', [
            String(userId),
          ])
        else if (kind === 2)
          await client.query('INSERT INTO users (email, name) VALUES ($1, $2)', [
            `${options.label}-${index}-${signups++}@example.com`,
            'New User',
          ])
        else if (kind === 3)
          // A login: the account is found by email (the newest, when the old sign-up form made two).
          await client.query(
            `INSERT INTO user_sessions (user_id, token, expires_at)
             SELECT id, md5(random()::text), now() + interval '7 days' FROM users WHERE email = $1 ORDER BY id DESC LIMIT 1`,
            [`user${userId}@example.com`],
          )
        else await client.query('UPDATE users SET name = $2 WHERE id = $1', [userId, `Renamed ${n}`])
      } catch (error) {
        failed = true
        if (errors.length < 5) errors.push((error as Error).message)
      }
      const ms = performance.now() - started
      samples.push({ startedAt: started, ms, failed })
      if (ms < interval) await new Promise((resolve) => setTimeout(resolve, interval - ms))
    }
    await client.end()
  }
  const workers = Promise.all(Array.from({ length: connections }, (_, index) => worker(index)))
  return {
    /** Queries that started between `from` and `to` (performance.now() times). */
    window(from: number, to: number): WindowReport {
      const inside = samples.filter((sample) => sample.startedAt >= from && sample.startedAt <= to)
      const sorted = inside.map((sample) => sample.ms).sort((a, b) => a - b)
      return {
        queries: inside.length,
        errors: inside.filter((sample) => sample.failed).length,
        p50Ms: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
        p99Ms: percentile(sorted, 0.99),
        longestMs: sorted.at(-1) ?? 0,
        firstErrors: [...errors],
      }
    },
    async stop(): Promise<void> {
      running = false
      await workers
    },
  }
}
