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

/** A client of its own for `work`, closed afterwards (no session left behind). */
export async function withClient<T>(
  spec: ConnectionSpec,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(toClientConfig(spec, false))
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** An md5 of every row of every public table: equal checksums, equal data. */
export function tableChecksums(spec: ConnectionSpec): Promise<Record<string, string>> {
  return withClient(spec, async (client) => {
    const tables = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    const sums: Record<string, string> = {}
    for (const { name } of tables.rows) {
      const row = await client.query<{ sum: string }>(
        `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM "${name}" t`,
      )
      sums[name] = row.rows[0]!.sum
    }
    return sums
  })
}

/** Databases made beside a test database (`<db>_pre_restore_*`, `<db>_predeploy_*`, ...) are dropped after the test. */
export function dropLeftovers(t: TestContext, database: TestDatabase, major: ServerMajor = 15): void {
  t.after(() =>
    withClient(withDatabase(serverSpec(major), 'postgres'), async (client) => {
      const rows = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${database.name}_%`],
      )
      for (const { datname } of rows.rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`)
    }),
  )
}
