import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { withDatabase } from '../../src/db/connection-spec.js'
import { withClient } from './database.js'
import { serverSpec } from './servers.js'

/**
 * `count` tenant databases `<prefix>_tenant_001...` on the PostgreSQL 16 test server,
 * dropped after the test. The random prefix keeps concurrent tests' fleets apart, so
 * `--match '<prefix>_tenant_%'` finds exactly these.
 */
export async function createTenantDatabases(
  t: TestContext,
  count: number,
): Promise<{ prefix: string; pattern: string; names: string[] }> {
  const prefix = `f${randomBytes(4).toString('hex')}`
  const names = Array.from(
    { length: count },
    (_, index) => `${prefix}_tenant_${String(index + 1).padStart(3, '0')}`,
  )
  const admin = withDatabase(serverSpec(16), 'postgres')
  await withClient(admin, async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE "${name}" TEMPLATE template0`)
  })
  t.after(() =>
    withClient(admin, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${prefix}\\_%`],
      )
      for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`)
    }),
  )
  return { prefix, pattern: `${prefix}\\_tenant\\_%`, names }
}
