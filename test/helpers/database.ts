import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { type ConnectionSpec, maskedUrl, withDatabase } from '../../src/db/connection-spec.js'
import { type ServerMajor, serverSpec } from './servers.js'

/** A database of its own for one test, dropped when the test ends. */
export interface TestDatabase {
  readonly name: string
  readonly spec: ConnectionSpec
  /** Full URL with password: for child processes' environment only, never printed. */
  readonly url: string
  /** Runs SQL as the superuser in this database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>
  /** The first row of a query (fails the test when there is none). */
  one(sql: string, params?: unknown[]): Promise<any>
}

async function admin<T>(major: ServerMajor, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(toClientConfig(serverSpec(major), false))
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/**
 * Creates `t_<random>` from template0 (so tests are isolated and may run in
 * parallel) and drops it, with its connections, after the test.
 */
export async function createTestDatabase(t: TestContext, major: ServerMajor = 16): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`
  await admin(major, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE template0`))
  const spec = withDatabase(serverSpec(major), name)
  const clients: pg.Client[] = []
  t.after(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)))
    await admin(major, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  })
  let shared: pg.Client | undefined
  const database: TestDatabase = {
    name,
    spec,
    url: urlOf(spec),
    async query(sql, params) {
      if (shared === undefined) {
        shared = new pg.Client(toClientConfig(spec, false))
        clients.push(shared)
        await shared.connect()
      }
      return shared.query(sql, params as unknown[])
    },
    async one(sql: string, params?: unknown[]) {
      const result = await database.query(sql, params)
      if (result.rows.length === 0) throw new Error(`no row from: ${sql}`)
      return result.rows[0]
    },
  }
  return database
}

/**
 * A login role of its own for one test (roles are server-wide), dropped after the
 * test's database, which holds its grants, is gone.
 */
export async function createTestRole(
  t: TestContext,
  options: { prefix?: string; name?: string } = {},
  major: ServerMajor = 16,
): Promise<{ name: string; password: string }> {
  const name = options.name ?? `${options.prefix ?? 'role'}_${randomBytes(4).toString('hex')}`
  const password = randomBytes(12).toString('hex')
  await admin(major, (client) => client.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`))
  t.after(() => admin(major, (client) => client.query(`DROP ROLE IF EXISTS ${name}`)))
  return { name, password }
}

/** A URL with the password, for a child process's environment. */
export function urlOf(spec: ConnectionSpec): string {
  const password = spec.password === undefined ? '' : `:${encodeURIComponent(spec.password)}`
  return `postgresql://${encodeURIComponent(spec.user)}${password}@${spec.host}:${spec.port}/${encodeURIComponent(spec.database)}`
}

export { maskedUrl }
