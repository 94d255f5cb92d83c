import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { createTestDatabase, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { serverSpec } from '../helpers/servers.js'

/** A stand-in for the application: /health answers 200, /sick 503, /slow never. */
async function application(t: Parameters<typeof testProject>[0]): Promise<string> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/slow') return
    response.writeHead(request.url === '/health' ? 200 : 503).end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('health: every check passes at head with a healthy application, --json carries the same', async (t) => {
  const database = await createTestDatabase(t)
  const app = await application(t)
  const project = testProject(t, database, { health: { urls: [{ name: 'api', url: `${app}/health` }] } })
  project.sql('h1', { up: 'CREATE TABLE notes (id bigint PRIMARY KEY);', downSql: 'DROP TABLE notes;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const result = await project.cli(['health'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  for (const line of [
    /✓ Database reachable — connected in \d+ ms; round trip [\d.]+ ms \(median of 5\)/,
    /✓ Server version supported — PostgreSQL 16\.\d+ \(supported until 2028-11-09\)/,
    /✓ Primary, accepting writes — primary \(read-write\)/,
    /✓ Database at head — at head h1/,
    /✓ Version table consistent — 1 row, all known revisions; no applied file edited/,
    /✓ Connections available — \d+ of \d+ connections in use/,
    /✓ No sessions stuck behind locks — no session waiting for a lock/,
    /✓ Transaction IDs far from wraparound/,
    /✓ Replication slots not holding WAL — /,
    /✓ Replicas keeping up — no replicas streaming from this server/,
    /✓ Synchronous standbys connected — no synchronous replication configured/,
    /✓ Application api — HTTP 200 in \d+ ms/,
    /✓ all checks passed/,
  ])
    assert.match(result.stdout, line)
  const json = JSON.parse((await project.cli(['health', '--json'])).stdout)
  assert.equal(json.ok, true)
  assert.ok(
    json.checks.some(
      (check: { id: string; status: string }) => check.id === 'endpoint:api' && check.status === 'ok',
    ),
  )
})

test('health fails on pending migrations, unknown and redundant version rows, a sick or silent application', async (t) => {
  const database = await createTestDatabase(t)
  const app = await application(t)
  const project = testProject(t, database, {
    health: {
      urls: [`${app}/sick`, { name: 'slow', url: `${app}/slow`, timeout: '300ms' }],
      longRunningSeconds: 0,
    },
  })
  project.sql('h1', { up: 'CREATE TABLE notes (id bigint PRIMARY KEY);' })
  project.sql('h2', { down: 'h1', up: 'ALTER TABLE notes ADD COLUMN body text;' })
  assert.equal((await project.cli(['upgrade', 'h1'])).code, 0)
  // A transaction left open by another client.
  const other = new pg.Client(toClientConfig(database.spec, false))
  other.on('error', () => undefined)
  await other.connect()
  await other.query('BEGIN')
  await other.query('SELECT count(*) FROM notes')
  await new Promise((resolve) => setTimeout(resolve, 1100))

  const pending = await project.cli(['health'])
  assert.equal(pending.code, 1)
  assert.match(pending.stdout, /✗ Database at head — 1 migration pending: h2/)
  assert.match(pending.stdout, /run `strata upgrade head`/)
  assert.match(pending.stdout, /! No long-running transactions — 1 transaction open longer than 0s/)
  assert.match(
    pending.stdout,
    /pid \d+ \(postgres, idle in transaction\) open \d+s: SELECT count\(\*\) FROM notes/,
  )
  assert.match(pending.stdout, /✗ Application 127\.0\.0\.1:\d+\/sick — HTTP 503 in \d+ ms, expected 2xx/)
  assert.match(pending.stdout, /✗ Application slow — no answer within 300ms/)
  await other.query('ROLLBACK')

  await database.query("INSERT INTO alembic_version VALUES ('gone1234')")
  const unknown = await project.cli(['health'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stdout, /✗ Version table consistent — 1 problem/)
  assert.match(unknown.stdout, /row gone1234 names no migration file/)

  await database.query("UPDATE alembic_version SET version_num = 'h2' WHERE version_num = 'gone1234'")
  const redundant = await project.cli(['health'])
  assert.match(
    redundant.stdout,
    /row h1 is an ancestor of row h2: only heads belong in the table \(`strata stamp h2` to repair\)/,
  )
})

test('health reports an unreachable database as a failed check (exit 1), not a usage error', async (t) => {
  const project = testProject(t)
  const result = await project.cli(['health', '--url', 'postgresql://nobody:secret@127.0.0.1:1/none'])
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stdout, /✗ Database reachable — connection refused at 127\.0\.0\.1:1/)
  assert.doesNotMatch(result.stdout + result.stderr, /secret/)
})

test('a health URL that is not http(s) is a config error (exit 2) naming the key', async (t) => {
  const project = testProject(t, undefined, { health: { urls: ['localhost:8000/health'] } })
  const result = await project.cli(['health'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /health\.urls\[0\]: expected an http\(s\) URL/)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
})

test('health names an inactive replication slot and the WAL it keeps (a real slot, reserved now)', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  // Server-wide, so named per test and dropped after it: its WAL is kept for as long as it exists.
  const name = `strata_t_${database.name.slice(2)}`
  await database.query('SELECT pg_create_physical_replication_slot($1, true)', [name])
  t.after(() =>
    withClient(serverSpec(16), (client) => client.query('SELECT pg_drop_replication_slot($1)', [name])),
  )
  const result = await project.cli(['health', '--json'])
  const slots = JSON.parse(result.stdout).checks.find(
    (check: { id: string }) => check.id === 'replication-slots',
  )
  assert.equal(slots.status, 'ok', 'a little WAL is no alarm')
  assert.match(
    slots.summary,
    new RegExp(`physical slot ${name} inactive, holding [\\d.]+ (bytes|kB|MB) of WAL`),
  )
})

test('health warns about sessions queued behind a lock, naming the blocker at the root of the queue', async (t) => {
  const database = await createTestDatabase(t)
  // Lock waits of this test only: sessions of other tests' databases never block these.
  const project = testProject(t, database, { health: { lockWaitSeconds: 0 } })
  await database.query(
    'CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, $$a$$)',
  )
  const open = async () => {
    const client = new pg.Client(toClientConfig(database.spec, false))
    client.on('error', () => undefined)
    await client.connect()
    t.after(() => client.end().catch(() => undefined))
    return client
  }
  const holder = await open()
  await holder.query('BEGIN')
  await holder.query('UPDATE users SET email = $1 WHERE id = 1', ['b'])
  const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid
  const waitingSessions = async (count: number) => {
    for (let i = 0; i < 200; i += 1) {
      const waiting = await database.one(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      )
      if (waiting.n === count) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.fail(`${count} sessions never waited for a lock`)
  }
  const migrator = await open()
  const altered = migrator.query('ALTER TABLE users ADD COLUMN age int').catch(() => undefined)
  // The reader queues behind the ALTER only once the ALTER waits: on a busy machine the
  // reader's query could otherwise reach the server first and pass.
  await waitingSessions(1)
  const reader = await open()
  const read = reader.query('SELECT count(*) FROM users').catch(() => undefined)
  await waitingSessions(2)
  await new Promise((resolve) => setTimeout(resolve, 1100))

  const result = await project.cli(['health'])
  assert.match(
    result.stdout,
    /! No sessions stuck behind locks — 2 sessions waiting behind 1 blocking session, the longest for \d+s/,
  )
  assert.match(
    result.stdout,
    new RegExp(
      `pid ${holderPid} \\(postgres, .*idle in transaction, transaction open \\d+s\\) blocks 2 sessions, .*strata diagnose terminate ${holderPid}\` ends it`,
    ),
  )
  assert.equal(result.code, 0, `a warning, not a failure:\n${result.stdout}`)
  await holder.query('ROLLBACK')
  await Promise.all([altered, read])
})
