import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import type { TestDatabase } from './database.js'

/**
 * An application writing while a migration runs: `statement(i)` every few
 * milliseconds on its own connection until stopped. Reports successful writes and
 * every error, so tests can assert that no write failed.
 */
export function startWriter(db: TestDatabase, statement: (index: number) => [string, unknown[]]) {
  let running = true
  let writes = 0
  const errors: string[] = []
  const client = new pg.Client(toClientConfig(db.spec, false))
  const loop = (async () => {
    await client.connect()
    for (let index = 0; running; index++) {
      try {
        const [text, values] = statement(index)
        await client.query(text, values)
        writes++
      } catch (error) {
        errors.push((error as Error).message)
      }
      await new Promise((resolve) => setTimeout(resolve, 3))
    }
    await client.end()
  })()
  return {
    async stop(): Promise<{ writes: number; errors: string[] }> {
      running = false
      await loop
      return { writes, errors }
    },
  }
}
