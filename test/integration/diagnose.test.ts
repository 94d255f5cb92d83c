import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { describeTermination } from '../../src/diagnose/terminate.js'
import { InvalidInputError } from '../../src/errors/index.js'
import { createTestDatabase, createTestRole, type TestDatabase, urlOf } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

async function session(
  t: Parameters<typeof testProject>[0],
  database: TestDatabase,
): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client(toClientConfig(database.spec, false))
  client.on('error', () => undefined)
  await client.connect()
  t.after(() => client.end().catch(() => undefined))
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  return { client, pid }
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('condition not reached in 5s')
}

test('diagnose blocking, locks and activity show a session blocked by another open transaction; terminate ends it', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database, { health: { longRunningSeconds: 0 } })
  await database.query('CREATE TABLE users (id int PRIMARY KEY, email text)')
  await database.query("INSERT INTO users VALUES (1, 'a@example.com')")

  const holder = await session(t, database)
  await holder.client.query('BEGIN')
  await holder.client.query('UPDATE users SET email = $1 WHERE id = 1', ['b@example.com'])
  const migrator = await session(t, database)
  const altered = migrator.client.query('ALTER TABLE users ADD COLUMN age int').then(
    () => 'done',
    (error: Error) => error.message,
  )
  const reader = await session(t, database)
  const read = reader.client.query('SELECT count(*) FROM users').then(() => 'done')
  await waitUntil(async () => {
    const row = await database.one(
      'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND pid = ANY($1)',
      [[migrator.pid, reader.pid]],
    )
    return row.n === 2
  })

  const tree = await project.cli(['diagnose', 'blocking'])
  assert.equal(tree.code, 0, tree.stderr)
  assert.match(tree.stdout, /✗ 2 sessions waiting behind 1 blocking session/)
  assert.match(tree.stdout, new RegExp(`^pid ${holder.pid} .*idle in transaction · transaction open`, 'm'))
  assert.match(tree.stdout, /holds {2}RowExclusiveLock on users/)
  assert.match(
    tree.stdout,
    new RegExp(`└─ pid ${migrator.pid} .*waiting [\\d.]+m?s for AccessExclusiveLock on users`),
  )
  assert.match(tree.stdout, /query {2}ALTER TABLE users ADD COLUMN age int/)
  assert.match(
    tree.stdout,
    new RegExp(` {3}└─ pid ${reader.pid} .*waiting [\\d.]+m?s for AccessShareLock on users`),
  )
  assert.match(tree.stdout, new RegExp(`strata diagnose terminate ${holder.pid}`))

  const json = JSON.parse((await project.cli(['diagnose', 'blocking', '--json'])).stdout)
  const root = json.blocking.roots[0]
  assert.equal(root.session.pid, holder.pid)
  assert.equal(root.blocking[0].session.pid, migrator.pid)
  assert.equal(root.blocking[0].waitingFor.mode, 'AccessExclusiveLock')
  assert.equal(root.blocking[0].blocking[0].session.pid, reader.pid)

  const locks = await project.cli(['diagnose', 'locks', 'users'])
  assert.equal(locks.code, 0)
  assert.match(locks.stdout, /3 locks on users, 2 waiting/)
  assert.match(locks.stdout, new RegExp(`${migrator.pid} +users +AccessExclusiveLock +no`))
  assert.match(locks.stdout, new RegExp(`${holder.pid} +users +RowExclusiveLock +yes`))
  const typo = await project.cli(['diagnose', 'locks', 'usres'])
  assert.equal(typo.code, 2)
  assert.match(typo.stderr, /no table "usres" in this database\. Did you mean "users"\?/)

  const activity = await project.cli(['diagnose', 'activity'])
  assert.match(activity.stdout, new RegExp(`${holder.pid} +postgres +idle in transaction .*idle in tx`))
  assert.match(activity.stdout, /! 1 session idle in transaction longer than 0s/)
  // A role that may not read other roles' sessions is not told there are none.
  const watcher = await createTestRole(t, { prefix: 'watcher' })
  const limited = await project.cli([
    '--url',
    urlOf({ ...database.spec, user: watcher.name, password: watcher.password }),
    'diagnose',
    'activity',
  ])
  assert.equal(limited.code, 0, limited.stderr)
  assert.match(limited.stdout, /^Client sessions: none visible$/m)
  assert.match(
    limited.stdout,
    /! [3-9] sessions of other roles in this database, whose state and query this role may not read: grant it pg_read_all_stats/,
  )
  assert.match(limited.stdout, /✓ no visible query or idle transaction longer than 0s/)

  // terminate: refuses without a terminal unless --yes, shows what it ends, then ends it.
  const unconfirmed = await project.cli(['diagnose', 'terminate', String(holder.pid)])
  assert.equal(unconfirmed.code, 2)
  assert.match(unconfirmed.stderr, /needs confirmation, and there is no terminal to ask on/)
  assert.match(unconfirmed.stderr, /pass --yes to confirm/)
  assert.match(unconfirmed.stderr, /holds {3}RowExclusiveLock on users/)
  assert.match(unconfirmed.stderr, new RegExp(`blocks {2}pid ${migrator.pid}`))
  const ended = await project.cli(['diagnose', 'terminate', String(holder.pid), '--yes'])
  assert.equal(ended.code, 0, ended.stderr)
  assert.match(ended.stdout, new RegExp(`✓ terminated pid ${holder.pid}; its transaction was rolled back`))
  assert.equal(await altered, 'done')
  assert.equal(await read, 'done')
  assert.equal((await database.one('SELECT email FROM users WHERE id = 1')).email, 'a@example.com')
  const clear = await project.cli(['diagnose', 'blocking'])
  assert.match(clear.stdout, /✓ no session is waiting for another's lock/)
})

test('diagnose terminate refuses its own session, unknown pids and bad input', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  const own = await session(t, database)
  await assert.rejects(describeTermination(own.client, own.pid), (error: Error) => {
    assert.ok(error instanceof InvalidInputError)
    assert.match(error.message, /is Strata's own session: refusing to end it/)
    return true
  })
  const missing = await project.cli(['diagnose', 'terminate', '99999999', '--yes'])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no session with pid 99999999/)
  const bad = await project.cli(['diagnose', 'terminate', 'abc'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /PID must be a process id/)
  const walsender = await database.one("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
  const server = await project.cli(['diagnose', 'terminate', String(walsender.pid), '--yes'])
  assert.equal(server.code, 2)
  assert.match(server.stderr, /is a server process \(checkpointer\), not a client session/)
})

test('diagnose sizes and indexes: largest tables, unused, redundant and invalid indexes with their fixes', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  await database.query('CREATE TABLE events (id bigint PRIMARY KEY, kind text, at timestamptz, payload text)')
  await database.query(
    "INSERT INTO events SELECT g, 'k' || (g % 10), now(), repeat('x', 200) FROM generate_series(1, 5000) g",
  )
  await database.query('CREATE TABLE tiny (id int PRIMARY KEY)')
  await database.query('CREATE INDEX ix_events_kind ON events (kind)')
  await database.query('CREATE INDEX ix_events_kind_again ON events (kind)')
  await database.query('CREATE INDEX ix_events_kind_at ON events (kind, at)')
  await database.query('CREATE INDEX ix_events_at ON events (at)')
  await database.query('ANALYZE events')
  await database.query(
    "SET enable_seqscan = off; SELECT count(*) FROM events WHERE at > now() - interval '1 day'; RESET enable_seqscan",
  )
  await database.query('CREATE TABLE dupes (v int)')
  await database.query('INSERT INTO dupes VALUES (1), (1)')
  await assert.rejects(database.query('CREATE UNIQUE INDEX CONCURRENTLY ix_dupes_v ON dupes (v)'))

  const sizes = await project.cli(['diagnose', 'sizes', '--limit', '1'])
  assert.equal(sizes.code, 0, sizes.stderr)
  assert.match(sizes.stdout, new RegExp(`Database ${database.name}: [\\d.]+ MB`))
  assert.match(sizes.stdout, /events +[\d.]+ (kB|MB) +[\d.]+ (kB|MB) +[\d.]+ kB +[\d.]+ (kB|bytes) +5,000/)
  assert.match(sizes.stdout, /… and 2 smaller tables \(--limit to see more\)/)
  const badLimit = await project.cli(['diagnose', 'sizes', '--limit', 'ten'])
  assert.equal(badLimit.code, 2)

  // A whole-table UPDATE (a backfill's leftovers) leaves a dead row per row: named with VACUUM.
  // Autovacuum kept away, so that it cannot clean up between the UPDATE and the look.
  await database.query('ALTER TABLE events SET (autovacuum_enabled = false)')
  await database.query('UPDATE events SET kind = upper(kind)')
  await deadRowsCounted(database, 'events', 5000)
  const dead = await project.cli(['diagnose', 'sizes'])
  assert.match(dead.stdout, /events +[\d.]+ (kB|MB) .* 5,000 +5,000\n/)
  assert.doesNotMatch(dead.stdout, /! events: .*dead rows/, 'fewer than 10,000: ordinary churn')
  await database.query(
    'CREATE TABLE churn (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false); INSERT INTO churn SELECT g, 0 FROM generate_series(1, 20000) g; ANALYZE churn',
  )
  await database.query('UPDATE churn SET v = 1')
  await deadRowsCounted(database, 'churn', 20000)
  const churn = await project.cli(['diagnose', 'sizes'])
  assert.match(
    churn.stdout,
    /! churn: 20,000 dead rows \(50%\), last vacuumed never: left by a backfill or a large UPDATE or DELETE; autovacuum reclaims them in time, or now: VACUUM \(ANALYZE\) churn/,
  )

  // Never scanned, but it keeps kinds unique: not a drop candidate.
  await database.query('CREATE TABLE kinds (name text)')
  await database.query('CREATE UNIQUE INDEX ux_kinds_name ON kinds (name)')
  // Never scanned either, but a delete of a kind looks its uses up through it.
  await database.query('CREATE TABLE kind_uses (id int, kind text REFERENCES kinds (name))')
  await database.query('CREATE INDEX ix_kind_uses_kind ON kind_uses (kind)')
  await database.query('CREATE TABLE kind_tags (tag text, kind text REFERENCES kinds (name))')
  // Statistics reach pg_stat_user_indexes asynchronously.
  await waitUntil(async () => {
    await database.query('SELECT pg_stat_clear_snapshot()')
    const row = await database.one(
      "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'ix_events_at'",
    )
    return Number(row.idx_scan) > 0
  })
  const indexes = await project.cli(['diagnose', 'indexes'])
  assert.equal(indexes.code, 0, indexes.stderr)
  const out = indexes.stdout
  assert.match(
    out,
    /✗ 1 invalid index, \d+ unused indexes, 2 redundant indexes, 1 foreign key without an index/,
  )
  assert.match(out, /DROP INDEX CONCURRENTLY "public"\."ix_dupes_v"; {2}-- invalid/)
  assert.match(out, /DROP INDEX CONCURRENTLY "public"\."ix_events_kind_again"; {2}-- same as ix_events_kind/)
  assert.match(out, /DROP INDEX CONCURRENTLY "public"\."ix_events_kind"; {2}-- covered by ix_events_kind_at/)
  assert.doesNotMatch(out, /"ix_events_at"/)
  assert.match(out, /ux_kinds_name +kinds +0 .* unique\n/)
  assert.doesNotMatch(out, /"ux_kinds_name"/, 'a unique index is never offered for dropping')
  assert.match(out, /ix_kind_uses_kind +kind_uses +0 .* for foreign key kind_uses_kind_fkey\n/)
  assert.doesNotMatch(out, /"ix_kind_uses_kind"/, 'nor the index a foreign key looks rows up by')
  // A foreign key no index serves: the index to build, with why.
  assert.match(
    out,
    /CREATE INDEX CONCURRENTLY "ix_kind_tags_kind" ON "public"\."kind_tags" \("kind"\); {2}-- for foreign key kind_tags_kind_fkey: each delete on kinds scans kind_tags without it/,
  )
  assert.doesNotMatch(out, /DROP INDEX CONCURRENTLY "public"\."events_pkey"/)
})

test('diagnose indexes names tables without a primary key (promoting a unique NOT NULL index where one exists) and tables read by sequential scans', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  // 13 MB read whole again and again: the kind of table a missing index costs.
  await database.query('CREATE TABLE audit (at timestamptz, actor text) WITH (autovacuum_enabled = off)')
  await database.query('INSERT INTO audit SELECT now(), md5(g::text) FROM generate_series(1, 200000) g')
  await database.query('CREATE TABLE accounts (email text NOT NULL, name text)')
  await database.query('CREATE UNIQUE INDEX ux_accounts_email ON accounts (email)')
  await database.query('CREATE TABLE keyed (id int PRIMARY KEY)')
  // A session that scans audit 20 times; its statistics are flushed when it ends.
  const { client } = await session(t, database)
  await client.query('SET max_parallel_workers_per_gather = 0')
  for (let i = 0; i < 20; i++) await client.query("SELECT count(*) FROM audit WHERE actor = 'nobody'")
  await client.end()
  await waitUntil(async () => {
    await database.query('SELECT pg_stat_clear_snapshot()')
    const row = await database.one("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'audit'")
    return Number(row.seq_scan) >= 20
  })

  const result = await project.cli(['diagnose', 'indexes'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(
    result.stdout,
    /! 2 tables without a primary key: logical replication cannot replicate their UPDATEs and DELETEs/,
  )
  assert.match(
    result.stdout,
    /\n {2}accounts \([\d.]+ (bytes|kB)[^)]*\): ALTER TABLE "public"\."accounts" ADD PRIMARY KEY USING INDEX "ux_accounts_email"; {2}-- \(email\) are unique and NOT NULL already/,
  )
  assert.match(
    result.stdout,
    /\n {2}audit \(1\d\.\d MB, [^)]+\): no unique NOT NULL key to promote: a migration adds one/,
  )
  assert.doesNotMatch(result.stdout, /\n {2}keyed /)
  assert.match(
    result.stdout,
    /! 1 table read mostly by sequential scans of many rows[^\n]*\n {2}audit \(1\d\.\d MB\): 2\d sequential scans read [\d,]+ rows \(~200,000 each\); 0 index scans/,
  )
  // The fix offered runs as it is, and the table is no longer listed.
  await database.query('ALTER TABLE "public"."accounts" ADD PRIMARY KEY USING INDEX "ux_accounts_email"')
  const after = JSON.parse((await project.cli(['diagnose', 'indexes', '--json'])).stdout).indexes
  assert.deepEqual(
    after.withoutPrimaryKey.map((table: { table: string }) => table.table),
    ['audit'],
  )
})

test("diagnose indexes on partitioned tables: a partition's attached index is never a drop, and an unindexed key gets the partition-by-partition fix", async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  await database.query(`CREATE TABLE users (id bigint PRIMARY KEY);
    CREATE TABLE events (at int NOT NULL, user_id bigint REFERENCES users (id), kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
    CREATE INDEX ix_events_kind ON events (kind)`)
  const report = JSON.parse((await project.cli(['diagnose', 'indexes', '--json'])).stdout).indexes
  const partitionIndex = report.indexes.find(
    (index: { table: string; partOf: string | null }) => index.table === 'events_a' && index.partOf !== null,
  )
  assert.equal(partitionIndex.partOf, 'ix_events_kind')
  assert.deepEqual(
    report.unused.map((index: { index: string }) => index.index),
    [],
    'attached partition indexes cannot be dropped on their own',
  )
  // One entry for the partitioned table's key; its partitions' copies are the same fix.
  assert.deepEqual(
    report.unindexedForeignKeys.map(
      (key: { table: string; partitions: string[] }) => `${key.table} ${key.partitions}`,
    ),
    ['events events_a,events_b'],
  )
  const fix = report.fixes.find((line: string) => line.includes('ON ONLY'))
  const statements = fix.split(/;\s*/).filter((part: string) => !part.startsWith('--') && part.trim() !== '')
  assert.equal(statements.length, 5)
  for (const statement of statements) await database.query(statement)
  assert.equal(
    (await database.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_events_user_id'::regclass"))
      .indisvalid,
    true,
  )
  const after = JSON.parse((await project.cli(['diagnose', 'indexes', '--json'])).stdout).indexes
  assert.deepEqual(after.unindexedForeignKeys, [])
})

test('diagnose slow: statements from pg_stat_statements, or exactly how to enable it', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  const missing = await project.cli(['diagnose', 'slow'])
  assert.equal(missing.code, 0)
  assert.match(
    missing.stdout,
    /slow queries unavailable: the pg_stat_statements extension is not installed in this database/,
  )
  assert.match(
    missing.stdout,
    /CREATE EXTENSION pg_stat_statements; {2}-- the library is already preloaded; no restart needed/,
  )

  await database.query('CREATE EXTENSION pg_stat_statements')
  await database.query('CREATE TABLE t (v int)')
  for (let i = 0; i < 3; i += 1) await database.query('INSERT INTO t SELECT generate_series(1, 20000)')
  const slow = await project.cli(['diagnose', 'slow', '--json'])
  assert.equal(slow.code, 0, slow.stderr)
  const report = JSON.parse(slow.stdout).slow
  assert.equal(report.available, true)
  const insert = report.queries.find((query: { query: string }) =>
    query.query.startsWith('INSERT INTO t SELECT'),
  )
  assert.ok(insert, JSON.stringify(report.queries.map((query: { query: string }) => query.query)))
  assert.equal(insert.calls, 3)
  assert.equal(insert.rows, 60000)
  const human = await project.cli(['diagnose', 'slow'])
  assert.match(human.stdout, /total +calls +mean +max +rows +share +query/)

  // PostgreSQL 15 of this run does not preload the library: a restart is part of the fix.
  const old = await createTestDatabase(t, 15)
  const oldProject = testProject(t, old)
  const restart = await oldProject.cli(['diagnose', 'slow'])
  assert.match(
    restart.stdout,
    /ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';.*restart the server/,
  )
})

test('diagnose all prints every topic under a heading; an unknown topic is a usage error', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  const all = await project.cli(['diagnose', 'all'])
  assert.equal(all.code, 0, all.stderr)
  for (const heading of ['Blocking', 'Locks', 'Activity', 'Sizes', 'Indexes', 'Slow queries', 'Replication'])
    assert.match(all.stdout, new RegExp(`^== ${heading} ==$`, 'm'))
  assert.match(all.stdout, /^No replicas stream from this server\.$/m)
  const unknown = await project.cli(['diagnose', 'blockers'])
  assert.equal(unknown.code, 2)
  assert.match(
    unknown.stderr,
    /^error: unknown command "blockers" for strata diagnose\. Did you mean "blocking"\?\n/,
  )
  // A role without pg_read_all_settings may not read shared_preload_libraries: every
  // topic is still shown, and the slow-query fix says what it cannot know.
  const role = await createTestRole(t, { prefix: 'viewer' })
  const asRole = { DATABASE_URL: urlOf({ ...database.spec, user: role.name, password: role.password }) }
  const limited = await project.cli(['diagnose', 'all'], asRole)
  assert.equal(limited.code, 0, limited.stderr)
  for (const heading of ['Blocking', 'Locks', 'Activity', 'Sizes', 'Indexes', 'Slow queries', 'Replication'])
    assert.match(limited.stdout, new RegExp(`^== ${heading} ==$`, 'm'))
  assert.match(
    limited.stdout,
    /add pg_stat_statements to shared_preload_libraries \(this role may not read it; a superuser can: SHOW shared_preload_libraries\)/,
  )
  // `strata diagnose` alone is `diagnose all`.
  const bare = await project.cli(['diagnose'])
  assert.equal(bare.code, 0, bare.stderr)
  assert.deepEqual(
    bare.stdout.split('\n').filter((line) => line.startsWith('== ')),
    all.stdout.split('\n').filter((line) => line.startsWith('== ')),
  )
})

test('behind a migration holding ACCESS EXCLUSIVE, diagnose sizes and indexes answer at once and verify says who holds the lock', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  await database.query(`
    CREATE TABLE users (id int PRIMARY KEY, email text);
    CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id));
    CREATE INDEX ix_orders_user_id ON orders (user_id);
    CREATE INDEX ix_users_email_lower ON users (lower(email)) WHERE id > 0;
    INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g`)
  await database.query('VACUUM ANALYZE users')
  const migrator = await session(t, database)
  await migrator.client.query('BEGIN; ALTER TABLE users ADD COLUMN age int')

  const sizes = await project.cli(['diagnose', 'sizes', '--json'])
  assert.equal(sizes.code, 0, sizes.stderr)
  const users = JSON.parse(sizes.stdout).sizes.tables.find(
    (size: { table: string }) => size.table === 'users',
  )
  assert.equal(users.sizeEstimated, true)
  assert.ok(users.tableBytes > 0, 'the catalog page count after VACUUM')
  const orders = JSON.parse(sizes.stdout).sizes.tables.find(
    (size: { table: string }) => size.table === 'orders',
  )
  assert.equal(orders.sizeEstimated, false, 'an unlocked table is measured')
  const human = await project.cli(['diagnose', 'sizes'])
  assert.match(human.stdout, /^users +~\d+ kB +~\d+ kB/m)
  assert.match(human.stdout, /~ users: a session holds or awaits ACCESS EXCLUSIVE on it/)

  const indexes = await project.cli(['diagnose', 'indexes'])
  assert.equal(indexes.code, 0, indexes.stderr)
  assert.match(indexes.stdout, /ix_orders_user_id +orders/)
  assert.doesNotMatch(indexes.stdout, /users_pkey/)
  assert.match(
    indexes.stdout,
    /! left out: the indexes of users, as a session holds or awaits ACCESS EXCLUSIVE/,
  )

  const verify = await project.cli(['verify'])
  assert.match(
    verify.stdout,
    new RegExp(
      `public\\.users: locked by pid ${migrator.pid} \\(AccessExclusiveLock, .*; the read waited 3s`,
    ),
  )
  assert.match(verify.stdout, /! No orphaned records — .*1 not checked for a lock held/)
  assert.match(verify.stdout, new RegExp(`orders_user_id_fkey: .*not checked, locked by pid ${migrator.pid}`))
  // A check that reads many tables names the holder and the table (55P03 says neither).
  assert.match(
    verify.stdout,
    new RegExp(
      `! Data types consistent — could not be checked: locked by pid ${migrator.pid} \\(AccessExclusiveLock on users, `,
    ),
  )
  await migrator.client.query('ROLLBACK')
})

/**
 * Waits (up to 5 s) until the statistics count a table's dead rows: a session reports
 * them when it goes idle, at most once a second, so the next session may not see them yet.
 */
async function deadRowsCounted(database: TestDatabase, table: string, rows: number): Promise<void> {
  for (let waited = 0; waited < 50; waited++) {
    const dead = await database.one(
      'SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = $1',
      [table],
    )
    if (dead.n >= rows) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
