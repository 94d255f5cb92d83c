import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { type AddressInfo, connect as connectSocket, createServer } from 'node:net'
import { type TestContext, test } from 'node:test'
import { type CliResult, runCli } from '../helpers/cli.js'
import { createTestDatabase, dropLeftovers, type TestDatabase, withClient } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'

/** Starts `strata upgrade head` (or `args`) and sends it `signal` once `ready` says the migration is under way. */
async function interruptUpgrade(
  project: TestProject,
  database: TestDatabase,
  signal: NodeJS.Signals,
  ready: () => Promise<boolean>,
  args: readonly string[] = ['upgrade', 'head'],
): Promise<CliResult> {
  let cli: ChildProcess | undefined
  let ended: CliResult | undefined
  const run = runCli(args, {
    cwd: project.dir,
    env: { DATABASE_URL: database.url },
    onSpawn: (child) => (cli = child),
  })
  run.then((result) => (ended = result))
  for (let tries = 0; !(await ready()); tries++) {
    assert.ok(tries < 300 && ended === undefined, `the migration never started: ${JSON.stringify(ended)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  cli!.kill(signal)
  return run
}

/** Whether a session of `database` is in pg_sleep: the slow migration is under way. */
const sleepingIn = (database: TestDatabase) =>
  withClient(
    database.spec,
    async (client) =>
      (
        await client.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'",
        )
      ).rows[0].n > 0,
  )

const versionOf = (database: TestDatabase) =>
  withClient(database.spec, async (client) =>
    (await client.query('SELECT version_num FROM alembic_version')).rows.map((row) => row.version_num),
  )

const tablesOf = (database: TestDatabase) =>
  withClient(database.spec, async (client) =>
    (
      await client.query(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname LIKE 't\\_%' ORDER BY 1",
      )
    ).rows.map((row) => row.relname),
  )

test('Ctrl-C during a migration cancels its running statement: it rolls back at once and never commits later (exit 130)', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  project.sql('a1', { up: 'CREATE TABLE t_first (id int);', downSql: 'DROP TABLE t_first;' })
  // Sent to the server together with its version update and COMMIT: a client that only
  // exits leaves the server to run all of it, and to commit, once the sleep ends.
  project.sql('a2', {
    down: 'a1',
    message: 'slow',
    up: 'SELECT pg_sleep(3);\nCREATE TABLE t_second (id int);',
    downSql: 'DROP TABLE t_second;',
  })
  const sleeping = () => sleepingIn(database)
  const result = await interruptUpgrade(project, database, 'SIGINT', sleeping)
  assert.equal(result.code, 130, result.stderr)
  assert.match(
    result.stderr,
    /interrupted \(SIGINT\): cancelling the migration's running statement \(its transaction rolls back\) and cleaning up/,
  )
  assert.match(
    result.stderr,
    /error: upgrade a2 \(slow\) failed: ERROR 57014: canceling statement due to user request/,
  )
  assert.match(result.stderr, /rolled back: a2 left no change; the database stays at a1/)
  assert.match(result.stderr, /hint: nothing of it was applied; run the command again to apply it/)
  assert.equal(await sleeping(), false, 'the statement no longer runs on the server')
  // Past the end of the sleep: had the batch gone on on the server, a2 would be committed now.
  await new Promise((resolve) => setTimeout(resolve, 3_500))
  assert.deepEqual(await versionOf(database), ['a1'])
  assert.deepEqual(await tablesOf(database), ['t_first'])
  const history = await withClient(database.spec, (client) =>
    client.query("SELECT outcome FROM strata_history WHERE revision = 'a2'"),
  )
  assert.deepEqual(
    history.rows.map((row) => row.outcome),
    ['failed'],
  )
})

test("a signal between a TypeScript migration's statements stops it before the next one is sent (exit 143)", async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  project.ts(
    'b1',
    `export const revision = 'b1'
export const downRevision = null
export async function upgrade(op) {
  await op.execute('CREATE TABLE t_before (id int)')
  await op.query("SELECT set_config('application_name', 'strata-test-pausing', false)")
  await new Promise((resolve) => setTimeout(resolve, 3000))
  await op.execute('CREATE TABLE t_after (id int)')
}
export async function downgrade(op) { await op.execute('DROP TABLE t_after; DROP TABLE t_before') }
`,
  )
  const pausing = () =>
    withClient(
      database.spec,
      async (client) =>
        (
          await client.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'strata-test-pausing'",
          )
        ).rows[0].n > 0,
    )
  const result = await interruptUpgrade(project, database, 'SIGTERM', pausing)
  assert.equal(result.code, 143, result.stderr)
  assert.match(result.stderr, /error: upgrade b1 failed: interrupted before its next statement was sent/)
  assert.match(result.stderr, /rolled back: b1 left no change; the database stays at base/)
  assert.deepEqual(await versionOf(database), [])
  assert.deepEqual(await tablesOf(database), [])
})

/**
 * A TCP proxy in front of the test server that loses the connection of the session
 * that sends `pg_sleep`: at once (`during`, the statement still runs on the server), or
 * after swallowing the server's answers until the batch has finished (`after`).
 */
async function losingProxy(
  t: TestContext,
  database: TestDatabase,
  when: 'during' | 'after',
): Promise<string> {
  const proxy = createServer((client) => {
    const server = connectSocket(database.spec.port, database.spec.host)
    let cut = false
    client.on('data', (data) => {
      server.write(data)
      if (!cut && data.toString('latin1').includes('pg_sleep')) {
        cut = true
        setTimeout(
          () => {
            client.destroy()
            server.destroy()
          },
          when === 'during' ? 300 : 2_000,
        )
      }
    })
    server.on('data', (data) => {
      if (!(cut && when === 'after')) client.write(data)
    })
    for (const socket of [client, server]) {
      socket.on('error', () => undefined)
      socket.on('close', () => (socket === client ? server : client).destroy())
    }
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.after(() => proxy.close())
  const url = new URL(database.url)
  url.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`
  return url.toString()
}

test('a connection lost while a migration runs: Strata cancels what still runs, reads the version table again and says what is true', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  project.sql('c1', { up: 'CREATE TABLE t_base (id int);', downSql: 'DROP TABLE t_base;' })
  assert.equal((await project.cli(['upgrade', 'c1'])).code, 0)
  project.sql('c2', {
    down: 'c1',
    message: 'slow',
    up: 'SELECT pg_sleep(1);\nCREATE TABLE t_slow (id int);',
    downSql: 'DROP TABLE t_slow;',
  })

  // Lost while the statement runs: cancelled, so rolled back; the message says so.
  const during = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: await losingProxy(t, database, 'during'),
  })
  assert.equal(during.code, 1, during.stderr)
  assert.match(
    during.stderr,
    /error: upgrade c2 \(slow\): the connection to the server was lost \(Connection terminated unexpectedly\)\. Strata cancelled what the server still ran of it and read the version table again: the database is at c1, so c2 was rolled back and left no change/,
  )
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  assert.deepEqual(await versionOf(database), ['c1'])
  assert.deepEqual(await tablesOf(database), ['t_base'])

  // Lost after the server finished (the answers never arrived): it committed, and the
  // message says so rather than "rolled back".
  const after = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: await losingProxy(t, database, 'after'),
  })
  assert.equal(after.code, 1, after.stderr)
  assert.match(
    after.stderr,
    /the connection to the server was lost \(Connection terminated unexpectedly\)\. .*the database is at c2, so the server finished c2 on its own/,
  )
  assert.doesNotMatch(after.stderr, /rolled back/)
  assert.deepEqual(await versionOf(database), ['c2'])

  // Non-transactional: what committed before the loss stays, and the message says so.
  project.sql('c3', {
    down: 'c2',
    message: 'outside a transaction',
    header: { transactional: 'false' },
    up: 'CREATE TABLE IF NOT EXISTS t_outside (id int);\nSELECT pg_sleep(1);',
    downSql: 'DROP TABLE t_outside;',
  })
  const outside = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: await losingProxy(t, database, 'during'),
  })
  assert.equal(outside.code, 1, outside.stderr)
  assert.match(
    outside.stderr,
    /the database is at c2, so c3 is not recorded as applied; it is non-transactional, so what its statements committed before the loss stays/,
  )
  assert.deepEqual(await versionOf(database), ['c2'])
  assert.deepEqual(await tablesOf(database), ['t_base', 't_outside', 't_slow'])
})

test('a Strata killed outright (SIGKILL) mid-migration: the server notices within a second and rolls back instead of committing', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  project.sql('d1', {
    message: 'slow',
    up: 'SELECT pg_sleep(3);\nCREATE TABLE t_killed (id int);',
    downSql: 'DROP TABLE t_killed;',
  })
  const sleeping = () => sleepingIn(database)
  const result = await interruptUpgrade(project, database, 'SIGKILL', sleeping)
  assert.equal(result.code, -1, 'ended by the signal')
  // Well before the sleep would end, the server has ended the session on its own.
  for (let tries = 0; await sleeping(); tries++) {
    assert.ok(tries < 40, 'the orphaned migration still runs 2 s after Strata was killed')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await new Promise((resolve) => setTimeout(resolve, 3_500))
  assert.deepEqual(await versionOf(database), [])
  assert.deepEqual(await tablesOf(database), [])
})

test('Ctrl-C during a deploy cancels the running migration, and the deploy still rolls back what it applied before it', async (t) => {
  // PostgreSQL 15, which this machine's pg_dump can back up (a copy on the server would
  // need the database idle, and this test watches it).
  const database = await createTestDatabase(t, 15)
  dropLeftovers(t, database)
  const project = testProject(t, database, { deploy: { rehearsal: 'off' } })
  project.sql('e1', { up: 'CREATE TABLE t_start (id int);', downSql: 'DROP TABLE t_start;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  project.sql('e2', { down: 'e1', up: 'CREATE TABLE t_fast (id int);', downSql: 'DROP TABLE t_fast;' })
  project.sql('e3', {
    down: 'e2',
    message: 'slow',
    up: 'SELECT pg_sleep(3);\nCREATE TABLE t_slow (id int);',
    downSql: 'DROP TABLE t_slow;',
  })
  const sleeping = () => sleepingIn(database)
  const result = await interruptUpgrade(project, database, 'SIGINT', sleeping, ['deploy', '--yes'])
  assert.equal(result.code, 130, result.stdout + result.stderr)
  assert.match(result.stdout, /Deploy failed: the upgrade failed: upgrade e3 \(slow\) failed: ERROR 57014/)
  // e2 had committed; the rollback downgrades it on a session of its own.
  assert.match(result.stdout, /Rolled back to e1 by downgrade/)
  await new Promise((resolve) => setTimeout(resolve, 3_500))
  assert.deepEqual(await versionOf(database), ['e1'])
  assert.deepEqual(await tablesOf(database), ['t_start'])
})

test('Ctrl-C while a read waits on the server (verify behind a lock) cancels it before Strata quits', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  await database.query('CREATE TABLE t_locked (id int)')
  const waitingReads = () =>
    withClient(database.spec, async (client) =>
      Number(
        (
          await client.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'strata%'",
          )
        ).rows[0].count,
      ),
    )
  await withClient(database.spec, async (holder) => {
    await holder.query('BEGIN; LOCK TABLE t_locked IN ACCESS EXCLUSIVE MODE')
    let cli: ChildProcess | undefined
    const run = runCli(['verify'], {
      cwd: project.dir,
      env: { DATABASE_URL: database.url },
      onSpawn: (child) => (cli = child),
    })
    // verify reads every table under a 3 s lock_timeout: this one waits behind the lock.
    for (let tries = 0; (await waitingReads()) === 0; tries++) {
      assert.ok(tries < 100, 'verify never waited on the lock')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    cli!.kill('SIGINT')
    const result = await run
    assert.equal(result.code, 130, result.stderr)
    // Gone as Strata quits, not when its lock_timeout ends it (a session that merely lost
    // its client waits on: nothing wakes it).
    assert.equal(await waitingReads(), 0)
    await holder.query('ROLLBACK')
  })
})
