import pg from 'pg'
import { percentile } from './measure.js'

/** What a steady load saw: how many queries, how many failed, and how long they waited. */
export interface LoadReport {
  readonly queries: number
  readonly errors: number
  readonly longestMs: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/**
 * An application's steady reads and writes on one table (by primary key), at about
 * `ratePerSecond`, on its own connection, until stopped. Bounded in time by its caller.
 */
export function startLoad(url: string, table: string, maxId: number, ratePerSecond = 200) {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-load' })
  client.on('error', () => undefined)
  const latencies: number[] = []
  let errors = 0
  let running = true
  const interval = 1000 / ratePerSecond
  const loop = (async () => {
    await client.connect()
    for (let index = 0; running; index++) {
      const id = 1 + Math.floor(Math.random() * maxId)
      const started = performance.now()
      try {
        if (index % 2 === 0) await client.query(`SELECT payload FROM ${table} WHERE id = $1`, [id])
        else await client.query(`UPDATE ${table} SET payload = $2 WHERE id = $1`, [id, `load-${index}`])
      } catch {
        errors++
      }
      const elapsed = performance.now() - started
      latencies.push(elapsed)
      if (elapsed < interval) await new Promise((resolve) => setTimeout(resolve, interval - elapsed))
    }
    await client.end()
  })()
  return {
    async stop(): Promise<LoadReport> {
      running = false
      await loop
      const sorted = [...latencies].sort((a, b) => a - b)
      return {
        queries: latencies.length,
        errors,
        longestMs: sorted.at(-1) ?? 0,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
      }
    },
  }
}
