import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

async function session(db: TestDatabase, name: string): Promise<pg.Client> {
  const client = new pg.Client({ ...toClientConfig(db.spec, false), application_name: name })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

/** Runs a read on `users` every 50 ms until stopped; returns the longest wait in ms and the error count. */
function readLoad(client: pg.Client): {
  stop: () => Promise<{ longestMs: number; errors: number; queries: number }>
} {
  let running = true
  let longestMs = 0
  let errors = 0
  let queries = 0
  const loop = (async () => {
    while (running) {
      const started = Date.now()
      try {
        await client.query('SELECT count(*) FROM users')
        queries++
      } catch {
        errors++
      }
      longestMs = Math.max(longestMs, Date.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { longestMs, errors, queries }
    },
  }
}

/**
 * Commits `blocker` once a Strata session has waited on a lock for `ms` (longer than the
 * 400ms lock_timeout: at least one attempt timed out), not after a fixed time from now:
 * on a busy machine the CLI may take that long just to start.
 */
async function commitOnceWaitedOn(db: TestDatabase, blocker: pg.Client, ms: number): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const waiting = await db.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'strata%'",
    )
    if (waiting.rows.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await new Promise((resolve) => setTimeout(resolve, ms))
  await blocker.query('COMMIT')
}

const config = { lock: { timeout: '400ms', retries: 12, retryDelay: '200ms', maxRetryDelay: '400ms' } }

test('a migration blocked by an open transaction retries under lock_timeout and succeeds once the blocker ends', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id int); INSERT INTO users SELECT generate_series(1, 100)')
  const project = testProject(t, db, config)
  project.sql('aaa111', {
    up: 'ALTER TABLE users ADD COLUMN preferences jsonb;',
    downSql: 'ALTER TABLE users DROP COLUMN preferences;',
  })

  const blocker = await session(db, 'test-blocker')
  await blocker.query('BEGIN')
  await blocker.query('SELECT count(*) FROM users') // holds ACCESS SHARE until the transaction ends
  const reader = await session(db, 'test-reader')
  const load = readLoad(reader)
  const release = commitOnceWaitedOn(db, blocker, 2500)

  const result = await project.cli(['upgrade', 'head'])
  await release
  const measured = await load.stop()
  await blocker.end()
  await reader.end()

  assert.equal(result.code, 0, result.stderr)
  assert.match(
    result.stderr,
    /aaa111: could not get its lock within lock_timeout 400ms \(attempt 1 of 13\); blocked by pid \d+ \(user postgres, test-blocker, idle in transaction, transaction open [\d.]+m?s\): SELECT count\(\*\) FROM users; rolled back, retrying in \d+ms/,
  )
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'preferences'",
      )
    ).n,
    1,
  )
  assert.equal(measured.errors, 0)
  assert.ok(measured.queries > 10, `the reader kept reading (${measured.queries} queries)`)
  assert.ok(
    measured.longestMs < 400 + 250,
    `no read waited longer than the lock timeout (longest ${measured.longestMs} ms)`,
  )
})

test('after the last attempt the migration fails clearly, names the blocker and the remedies, and changed nothing', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id int)')
  const project = testProject(t, db, { lock: { timeout: '200ms', retries: 2, retryDelay: '100ms' } })
  project.sql('aaa111', { up: 'ALTER TABLE users ADD COLUMN preferences jsonb;' })
  const blocker = await session(db, 'long-report')
  await blocker.query('BEGIN; LOCK TABLE users IN SHARE MODE')
  const result = await project.cli(['upgrade', 'head'])
  await blocker.query('ROLLBACK')
  await blocker.end()
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /upgrade aaa111 \(migration aaa111\) could not get its lock after 3 attempts \(lock_timeout 200ms each\)/,
  )
  assert.match(result.stderr, /blocked by: pid \d+ \(user postgres, long-report, idle in transaction/)
  assert.match(
    result.stderr,
    /hint: wait for pid \d+ to finish and run the command again; `strata diagnose blocking` shows the lock tree.*; to wait longer this once: --lock-timeout 15s --lock-retries 20/,
  )
  assert.equal((await db.one('SELECT count(*)::int AS n FROM alembic_version')).n, 0)
  const attempts = await db.one(
    "SELECT count(*)::int AS n FROM strata_history WHERE outcome = 'failed' AND error LIKE '55P03%'",
  )
  assert.equal(attempts.n, 3)
})

test('a migration may set its own lock timeout', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    "export const revision = 'aaa111'\nexport const lockTimeout = '1500ms'\nexport const statementTimeout = '20s'\nexport async function upgrade(op) {\n  const [row] = await op.query(\"SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement\")\n  await op.execute('CREATE TABLE seen (lock text, statement text)')\n  await op.execute('INSERT INTO seen VALUES ($1, $2)', [row.lock, row.statement])\n}\n",
  )
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  assert.deepEqual(await db.one('SELECT lock, statement FROM seen'), { lock: '1500ms', statement: '20s' })
  const bad = testProject(t, db)
  bad.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const lockTimeout = 'soon'\nexport async function upgrade() {}\n",
  )
  const refused = await bad.cli(['heads'])
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /bbb222_m\.ts:2: `lockTimeout` must be milliseconds or a duration such as '5s'/,
  )
  const tooLong = testProject(t, db)
  tooLong.sql('ccc333', { header: { lock_timeout: '30d' }, up: 'SELECT 1;' })
  const refusedSql = await tooLong.cli(['heads'])
  assert.equal(refusedSql.code, 2)
  assert.match(refusedSql.stderr, /lock_timeout 30d is more than PostgreSQL allows for a timeout/)
})

test('a blocked migration among several sent together: those before it stay applied, it and the rest retry', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id int)')
  const project = testProject(t, db, config)
  project.sql('aaa111', { up: 'CREATE TABLE before_t (id int);' })
  project.sql('bbb222', { down: 'aaa111', up: 'ALTER TABLE users ADD COLUMN preferences jsonb;' })
  project.sql('ccc333', { down: 'bbb222', up: 'CREATE TABLE after_t (id int);' })

  const blocker = await session(db, 'test-blocker')
  await blocker.query('BEGIN')
  await blocker.query('SELECT count(*) FROM users')
  const release = commitOnceWaitedOn(db, blocker, 900)
  const result = await project.cli(['upgrade', 'head'])
  await release
  await blocker.end()

  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stderr, /bbb222: could not get its lock within lock_timeout 400ms \(attempt 1 of 13\)/)
  assert.doesNotMatch(result.stderr, /aaa111: could not get its lock/)
  const history = await db.query("SELECT revision FROM strata_history WHERE outcome = 'success' ORDER BY id")
  assert.deepEqual(
    history.rows.map((row) => row.revision),
    ['aaa111', 'bbb222', 'ccc333'],
    'each migration applied exactly once',
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'ccc333' },
  ])
})

test('a statement that runs long is reported as it goes: how long, and an index build its phase', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE events (id bigint PRIMARY KEY, kind text)')
  await db.query("INSERT INTO events SELECT g, 'k' || (g % 7) FROM generate_series(1, 2000) g")
  const project = testProject(t, db, { migrations: { progressInterval: '300ms' } })
  project.sql('aaa111', { up: 'SELECT pg_sleep(0.8);' })
  project.sql('bbb222', {
    down: 'aaa111',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_events_kind ON events (kind);',
  })
  // A transaction with a snapshot older than the index build: CREATE INDEX CONCURRENTLY
  // waits for it before it can finish, as it would for a long report in production.
  const reader = await session(db, 'long-report')
  t.after(() => reader.end())
  await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
  await reader.query('SELECT count(*) FROM events')
  const release = setTimeout(() => reader.query('COMMIT').catch(() => undefined), 2500)
  t.after(() => clearTimeout(release))
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stderr, /^aaa111: still running after \d+ms, waiting for Timeout: PgSleep\n/m)
  assert.match(
    up.stderr,
    /^bbb222: still running after [\d.]+m?s: index (public\.)?ix_events_kind on (public\.)?events, waiting for old snapshots; waiting for Lock: virtualxid\n/m,
  )

  // 0 turns the reports off.
  const quiet = testProject(t, db, { migrations: { progressInterval: 0 } })
  quiet.sql('ccc333', { up: 'SELECT pg_sleep(0.6);' })
  await db.query('DROP TABLE alembic_version')
  const silent = await quiet.cli(['upgrade', 'head'])
  assert.equal(silent.code, 0, silent.stderr)
  assert.doesNotMatch(silent.stderr, /still running/)
})

test('--lock-timeout and --lock-retries set this run, over the config and the migration, and refuse bad values', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id int)')
  const project = testProject(t, db, config)
  project.sql('aaa111', {
    header: { lock_timeout: '100ms', lock_retries: '0' },
    up: 'ALTER TABLE users ADD COLUMN preferences jsonb;',
  })
  const blocker = await session(db, 'test-blocker')
  t.after(() => blocker.end())
  await blocker.query('BEGIN')
  await blocker.query('SELECT count(*) FROM users')
  // The migration's own 100 ms and no retry: it gives up while the blocker is there.
  const gaveUp = await project.cli(['upgrade', 'head'])
  assert.equal(gaveUp.code, 1)
  assert.match(gaveUp.stderr, /lock_timeout 100ms/)
  // The operator's flags win for this run: a 5 s wait outlasts the blocker.
  setTimeout(() => void blocker.query('COMMIT'), 1000)
  const waited = await project.cli(['upgrade', 'head', '--lock-timeout', '5s', '--lock-retries', '0'])
  assert.equal(waited.code, 0, waited.stderr)
  const column = await db.one(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'preferences'",
  )
  assert.equal(column.n, 1)

  for (const [flag, value, message] of [
    ['--lock-timeout', '10', /give a unit: 10s \(a bare number would be 10 ms, as PostgreSQL reads it\)/],
    ['--lock-timeout', '0s', /0 would wait for a lock forever/],
    // The server refused it only once a migration set it.
    [
      '--lock-timeout',
      '99999h',
      /more than PostgreSQL allows for a timeout \(2147483647 ms, about 24 days\)/,
    ],
    ['--lock-retries', 'many', /--lock-retries expects a whole number from 0 to 100, not "many"/],
  ] as const) {
    for (const command of [
      ['downgrade', 'base'],
      ['deploy', '--yes'],
      ['rollback', '--yes'],
      ['tenants', 'upgrade', '--match', 'nothing_%'],
    ]) {
      const refused = await project.cli([...command, flag, value])
      assert.equal(refused.code, 2, `${command[0]} ${flag} ${value}`)
      assert.match(refused.stderr, message)
    }
  }
})

test("in a deadlock with the application, the migration gives way and is retried: the application's transaction goes through", async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id int); INSERT INTO users VALUES (1); CREATE TABLE orders (id int)')
  // The migration locks users, and later orders; in between, the application reads orders
  // in a transaction and then updates users: each waits for the other.
  const project = testProject(t, db, { lock: { timeout: '5s', retries: 3 } })
  project.sql('aaa111', {
    up: 'ALTER TABLE users ADD COLUMN y int;\nSELECT pg_sleep(0.6);\nALTER TABLE orders ADD COLUMN x int;',
  })
  const app = await session(db, 'test-app')
  t.after(() => app.end().catch(() => {}))
  const migrating = project.cli(['upgrade', 'head'])
  // Once the migration holds users (its pg_sleep keeps orders free a while longer).
  for (;;) {
    const held = await db.one(
      "SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'users'::regclass AND mode = 'AccessExclusiveLock' AND granted",
    )
    if (held.n > 0) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await app.query('BEGIN')
  await app.query('SELECT count(*) FROM orders')
  // Waits behind the migration's ACCESS EXCLUSIVE on users. PostgreSQL's own default would
  // roll this transaction back a second later (it began to wait first).
  const update = await app.query('UPDATE users SET id = 2 WHERE id = 1').then(
    () => 'updated',
    (error: Error) => error.message,
  )
  await app.query(update === 'updated' ? 'COMMIT' : 'ROLLBACK')
  const result = await migrating
  assert.equal(update, 'updated')
  assert.equal(result.code, 0, result.stderr)
  assert.match(
    result.stderr,
    /aaa111: gave way in a deadlock with another session .*; rolled back, retrying in/,
  )
  assert.equal((await db.one('SELECT id FROM users')).id, 2)
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name IN ('x', 'y')",
      )
    ).n,
    2,
  )
})
