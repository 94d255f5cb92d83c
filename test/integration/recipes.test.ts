import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { createTestDatabase, createTestRole, urlOf } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'
import { startWriter } from '../helpers/writer.js'

const migration = (body: string, down = '') =>
  `export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport async function upgrade(op) {\n${body}\n}\nexport async function downgrade(op) {\n${down}\n}\n`

test('addNotNullColumn while the application inserts rows without the new column', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL); INSERT INTO users (email) SELECT 'u' || g || '@Example.com' FROM generate_series(1, 5000) g",
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addNotNullColumn('users', { name: 'preferences', type: 'jsonb', default: {} })\n  await op.addNotNullColumn('users', { name: 'email_lower', type: 'text', default: '' }, { backfill: op.sql('lower(email)'), batchSize: 500 })",
      "  await op.dropColumn('users', 'email_lower')\n  await op.dropColumn('users', 'preferences')",
    ),
  )
  const app = startWriter(db, (index) => [
    'INSERT INTO users (email) VALUES ($1)',
    [`late${index}@Example.com`],
  ])
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users')).n, 5000 + load.writes, 'no write lost')
  const columns = await db.query(
    "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('preferences', 'email_lower') ORDER BY 1",
  )
  assert.deepEqual(columns.rows, [
    { column_name: 'email_lower', is_nullable: 'NO' },
    { column_name: 'preferences', is_nullable: 'NO' },
  ])
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM users WHERE id <= 5000 AND email_lower <> lower(email)')).n,
    0,
  )
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_constraint WHERE conname LIKE 'users_%_not_null'")).n,
    0,
    'the helper checks are gone',
  )
  assert.equal((await project.cli(['downgrade', '-1', '--no-backup'])).code, 0)
})

test('addForeignKeySafely validates in its own transaction while child rows keep arriving', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 1000);
    CREATE TABLE user_sessions (id bigserial PRIMARY KEY, user_id bigint NOT NULL); INSERT INTO user_sessions (user_id) SELECT 1 + g % 1000 FROM generate_series(1, 20000) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addForeignKeySafely('fk_sessions_user', 'user_sessions', 'users', ['user_id'], ['id'], { onDelete: 'cascade' })",
      "  await op.dropConstraint('fk_sessions_user', 'user_sessions')",
    ),
  )
  const app = startWriter(db, (index) => [
    'INSERT INTO user_sessions (user_id) VALUES ($1)',
    [1 + (index % 1000)],
  ])
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.equal((await db.one('SELECT count(*)::int AS n FROM user_sessions')).n, 20000 + load.writes)
  const fk = await db.one(
    "SELECT convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'fk_sessions_user'",
  )
  assert.equal(fk.convalidated, true)
  assert.match(fk.def, /ON DELETE CASCADE/)
})

test('a VALIDATE that fails in its own transaction reports its own error, says what stays, and a re-run completes', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 10), (2, -5)',
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addCheckSafely('ck_orders_total', 'orders', 'total >= 0')",
      "  await op.dropConstraint('ck_orders_total', 'orders')",
    ),
  )
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  // Before, the clean-up's BEGIN on the aborted transaction hid it behind 25P02.
  assert.match(
    failed.stderr,
    /ERROR 23514: check constraint "ck_orders_total" of relation "orders" is violated/,
  )
  assert.doesNotMatch(failed.stderr, /25P02|left no change/)
  assert.match(failed.stderr, /statement at .*VALIDATE CONSTRAINT "ck_orders_total"/)
  const check = await db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'ck_orders_total'")
  assert.equal(check.convalidated, false, 'the NOT VALID check committed and stays')
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, 'aaa111')

  await db.query('UPDATE orders SET total = 0 WHERE total < 0')
  const resumed = await project.cli(['upgrade', 'head'])
  assert.equal(resumed.code, 0, resumed.stderr)
  assert.equal(
    (await db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'ck_orders_total'")).convalidated,
    true,
  )
})

test("in a non-transactional migration, a failed VALIDATE is recorded in the history and its report lists only the migration's statements", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, -5)',
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration("  await op.addCheckSafely('ck_orders_total', 'orders', 'total >= 0')").replace(
      'export async function upgrade',
      'export const transactional = false\nexport async function upgrade',
    ),
  )
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ERROR 23514/)
  // Nothing to drop on a first run (no DROP); the recipe's catalog lookup and BEGIN are not listed.
  assert.match(
    failed.stderr,
    /1 statement\(s\) completed: ALTER TABLE "orders" ADD CONSTRAINT "ck_orders_total"/,
  )
  assert.doesNotMatch(failed.stderr, /\| BEGIN|pg_constraint/)
  // The VALIDATE's own transaction was left aborted; the history row is written after a ROLLBACK.
  const history = await db.one(
    "SELECT outcome, error FROM strata_history WHERE revision = 'bbb222' ORDER BY id DESC LIMIT 1",
  )
  assert.equal(history.outcome, 'failed')
  assert.match(history.error, /^23514 check constraint "ck_orders_total"/)
})

test('addForeignKeySafely on a partitioned table goes partition by partition, and a re-run after a failure resumes', async (t) => {
  const db = await createTestDatabase(t)
  // One partition is partitioned in turn; one holds an order of a user that does not exist.
  await db.query(`CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 100);
    CREATE TABLE orders (id bigint, user_id bigint, region text NOT NULL, at int NOT NULL) PARTITION BY LIST (region);
    CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
    CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us') PARTITION BY RANGE (at);
    CREATE TABLE orders_us_old PARTITION OF orders_us FOR VALUES FROM (0) TO (10);
    CREATE TABLE orders_us_new PARTITION OF orders_us FOR VALUES FROM (10) TO (20);
    INSERT INTO orders SELECT g, 1 + g % 100, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g % 20 FROM generate_series(1, 3000) g;
    INSERT INTO orders VALUES (9999, 555, 'us', 15)`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addForeignKeySafely('fk_orders_user', 'orders', 'users', ['user_id'], ['id'], { onDelete: 'cascade' })",
      "  await op.dropConstraint('fk_orders_user', 'orders')",
    ),
  )
  const keys = async () =>
    (
      await db.query(`SELECT c.conname, c.conrelid::regclass::text AS "table", c.convalidated, p.conname AS parent
        FROM pg_constraint c LEFT JOIN pg_constraint p ON p.oid = c.conparentid
       WHERE c.contype = 'f' ORDER BY c.conname`)
    ).rows.map(
      (k) =>
        `${k.conname} on ${k.table}${k.convalidated ? '' : ' NOT VALID'}${k.parent ? ` < ${k.parent}` : ''}`,
    )

  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1, failed.stdout)
  assert.match(failed.stderr, /violates foreign key constraint "fk_orders_user_orders_us_new"/)
  assert.match(failed.stderr, /statement at .*: ALTER TABLE "public"\."orders_us_new" VALIDATE CONSTRAINT/)
  assert.match(
    failed.stderr,
    /hint: .*\(user_id\) = \(555\).*delete or fix those rows, then run the command again/,
  )
  assert.match(failed.stderr, /what op\.autocommit committed before the failure stays/)
  // Partitions go in name order: orders_eu's key is validated and stays, orders_us_new's
  // stays NOT VALID (new rows are checked), orders_us_old is not reached, orders has none.
  assert.deepEqual(await keys(), [
    'fk_orders_user_orders_eu on orders_eu',
    'fk_orders_user_orders_us_new on orders_us_new NOT VALID',
  ])

  await db.query('DELETE FROM orders WHERE user_id = 555')
  const app = startWriter(db, (index) => [
    "INSERT INTO orders VALUES ($1, $2, 'eu', 1)",
    [10000 + index, 1 + (index % 100)],
  ])
  const resumed = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(resumed.code, 0, resumed.stderr)
  assert.deepEqual(load.errors, [])
  assert.deepEqual(await keys(), [
    'fk_orders_user on orders',
    'fk_orders_user_orders_eu on orders_eu < fk_orders_user',
    'fk_orders_user_orders_us on orders_us < fk_orders_user',
    'fk_orders_user_orders_us_new on orders_us_new < fk_orders_user_orders_us',
    'fk_orders_user_orders_us_old on orders_us_old < fk_orders_user_orders_us',
  ])
  // The key holds: a delete cascades into every partition.
  await db.query('DELETE FROM users WHERE id = 2')
  assert.equal((await db.one('SELECT count(*)::int AS n FROM orders WHERE user_id = 2')).n, 0)

  assert.equal((await project.cli(['downgrade', '-1', '--no-backup'])).code, 0)
  assert.deepEqual(await keys(), [])
})

test('addForeignKeySafely does not wait behind a long read of the table: it takes no ACCESS EXCLUSIVE lock there', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 100);
    CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint); INSERT INTO orders SELECT g, 1 + g % 100 FROM generate_series(1, 1000) g`)
  // A report reading orders in a transaction left open: it holds ACCESS SHARE until it ends.
  const report = new pg.Client(toClientConfig(db.spec, false))
  report.on('error', () => {})
  await report.connect()
  t.after(() => report.end().catch(() => {}))
  await report.query('BEGIN; SELECT count(*) FROM orders')
  const project = testProject(t, db, { lock: { timeout: '1s', retries: 0 } })
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addForeignKeySafely('fk_orders_user', 'orders', 'users', ['user_id'])",
      "  await op.dropConstraint('fk_orders_user', 'orders')",
    ),
  )
  const result = await project.cli(['upgrade', 'head'])
  await report.query('ROLLBACK')
  // Before, its DROP CONSTRAINT IF EXISTS (with nothing to drop) waited for ACCESS EXCLUSIVE and timed out.
  assert.equal(result.code, 0, result.stderr)
  const fk = await db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'fk_orders_user'")
  assert.equal(fk.convalidated, true)
})

test('dedupeAndAddUnique moves duplicates aside, adds the constraint under writes, and the downgrade restores them', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigserial PRIMARY KEY, email text);
    INSERT INTO users (email) SELECT 'user' || (g % 800) || '@example.com' FROM generate_series(1, 1000) g;
    INSERT INTO users (email) VALUES (NULL), (NULL)`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.dedupeAndAddUnique('users', ['email'], { name: 'uq_users_email' })",
      "  await op.restoreDuplicates('users', 'uq_users_email')",
    ),
  )
  const app = startWriter(db, (index) => [
    'INSERT INTO users (email) VALUES ($1)',
    [`new${index}@example.com`],
  ])
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.match(
    result.stderr,
    /users: 200 duplicate rows moved to users_strata_dups; unique constraint uq_users_email added/,
  )
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users_strata_dups')).n, 200)
  assert.equal(
    (
      await db.one(
        'SELECT count(*) - count(DISTINCT email) - count(*) FILTER (WHERE email IS NULL) AS dup FROM users',
      )
    ).dup,
    '0',
  )
  // The newest row of each group survived (highest id).
  assert.equal(
    (await db.one("SELECT min(id)::int AS id FROM users WHERE email = 'user1@example.com'")).id,
    801,
  )
  assert.equal(
    (await db.one("SELECT contype FROM pg_constraint WHERE conname = 'uq_users_email'")).contype,
    'u',
  )

  const down = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM users')).n,
    1002 + load.writes,
    'every row is back',
  )
  assert.equal((await db.one("SELECT to_regclass('users_strata_dups') AS t")).t, null)
})

test('dedupeAndAddUnique run again after a failure past it finds its constraint there and goes on', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigserial PRIMARY KEY, email text);
    INSERT INTO users (email) VALUES ('a@example.com'), ('a@example.com'), ('b@example.com')`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const withNext = (next: string) =>
    migration(
      `  await op.dedupeAndAddUnique('users', ['email'], { name: 'uq_users_email' })\n  await op.execute('${next}')`,
      "  await op.restoreDuplicates('users', 'uq_users_email')",
    )
  // The statement after the recipe fails: the recipe's constraint was committed already.
  project.ts('bbb222', withNext('SELECT 1 / 0'))
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /division by zero/)
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'uq_users_email'")).n,
    1,
  )
  project.ts('bbb222', withNext('SELECT 1'))
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal((await project.cli(['current'])).stdout, 'bbb222 (head)\n')
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users_strata_dups')).n, 1)
  // check does not ask the recipe's own step to be written to run twice.
  const checked = await project.cli(['check', '--offline', '-r', 'aaa111:bbb222'])
  assert.doesNotMatch(checked.stdout, /not-rerunnable/)
})

test('changeColumnType and rebuildTable, and their downgrades, run again after a failure past their swap, find it done and go on', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, score int NOT NULL);
    INSERT INTO users SELECT g, g FROM generate_series(1, 500) g;
    CREATE TABLE events (id bigint PRIMARY KEY, body text);
    INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 500) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const recipes = (upNext: string, downNext: string) =>
    migration(
      [
        "  await op.changeColumnType('users', 'score', 'bigint')",
        "  await op.rebuildTable('events', { columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'body', type: 'text' }, { name: 'kind', type: 'text', default: 'x' }], select: { kind: \"'x'\" } })",
        `  await op.execute('${upNext}')`,
      ].join('\n'),
      [
        "  await op.revertRebuild('events')",
        "  await op.revertColumnType('users', 'score', 'int')",
        `  await op.execute('${downNext}')`,
      ].join('\n'),
    )
  project.ts('bbb222', recipes('SELECT 1 / 0', 'SELECT 1'))
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /division by zero/)
  project.ts('bbb222', recipes('SELECT 1', 'SELECT 1 / 0'))
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.match(
    again.stderr,
    /users\.score is bigint already, its old values in score_strata_old: an earlier run of this migration swapped it/,
  )
  assert.match(again.stderr, /events has its new columns already, the old table kept as events_strata_old/)
  const columns = async (table: string) =>
    (
      await db.query(
        `SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      )
    ).rows.map((row) => `${row.name} ${row.type}`)
  assert.deepEqual(await columns('users'), ['id bigint', 'score_strata_old integer', 'score bigint'])
  assert.deepEqual(await columns('events'), ['id bigint', 'body text', 'kind text'])
  assert.equal((await db.one('SELECT count(*)::int AS n FROM events')).n, 500)

  // The downgrade, failing after both reverts, then run again.
  const downFailed = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(downFailed.code, 1, downFailed.stderr)
  project.ts('bbb222', recipes('SELECT 1', 'SELECT 1'))
  const down = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(down.code, 0, down.stderr)
  assert.match(
    down.stderr,
    /events has no events_strata_old to go back to: an earlier run of this downgrade swapped it back already/,
  )
  assert.match(down.stderr, /users\.score has no score_strata_old to go back to/)
  assert.deepEqual(await columns('users'), ['id bigint', 'score integer'])
  assert.deepEqual(await columns('events'), ['id bigint', 'body text'])
  assert.equal((await project.cli(['current'])).stdout, 'aaa111\n')
})

test("rebuildTable fills a new column without a select from its default; one NOT NULL without a default is refused before anything changes; an old column's default or NOT NULL the columns leave out is said", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE events (id bigint PRIMARY KEY, body text NOT NULL DEFAULT 'empty');
    INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 300) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const rebuild = (column: string) =>
    migration(
      [
        "  await op.execute('CREATE TABLE audit_note (id int)')",
        `  await op.rebuildTable('events', { columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'body', type: 'text' }, ${column}] })`,
      ].join('\n'),
    )
  project.ts('bbb222', rebuild("{ name: 'kind', type: 'text', nullable: false }"))
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(
    refused.stderr,
    /rebuildTable\('events'\): column kind is new, NOT NULL and has no default: the copied rows would have no value for it[\s\S]*hint: compute it from the old row: select: \{ kind: /,
  )
  assert.equal(
    (await db.one("SELECT to_regclass('audit_note') IS NULL AS gone")).gone,
    true,
    'the statement before it was not committed',
  )
  assert.equal((await db.one("SELECT to_regclass('events_strata_new') IS NULL AS gone")).gone, true)

  project.ts('bbb222', rebuild("{ name: 'kind', type: 'text', nullable: false, default: 'plain' }"))
  const done = await project.cli(['upgrade', 'head'])
  assert.equal(done.code, 0, done.stderr)
  assert.match(
    done.stderr,
    /rebuildTable\('events'\): body has DEFAULT 'empty'::text and the new table's body none: after the swap an insert that leaves it out stores NULL\. Give it default: op\.sql\("'empty'::text"\) in columns to keep it/,
  )
  assert.match(
    done.stderr,
    /rebuildTable\('events'\): body is NOT NULL and the new table's body nullable: after the swap NULLs can be written to it\. Give it nullable: false in columns to keep it/,
  )
  assert.deepEqual((await db.query('SELECT kind, count(*)::int AS n FROM events GROUP BY kind')).rows, [
    { kind: 'plain', n: 300 },
  ])
})

test('changeColumnType keeps writers working through the swap, and revertColumnType brings the old type back', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    'CREATE TABLE users (id bigserial PRIMARY KEY, age text NOT NULL); INSERT INTO users (age) SELECT (g % 90)::text FROM generate_series(1, 8000) g',
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('users', 'age', 'integer', { using: 'age::integer', batchSize: 500 })",
      "  await op.revertColumnType('users', 'age', 'text', { using: 'age::text', batchSize: 500 })",
    ),
  )
  // Untyped parameters: the same statements work before and after the swap. The last
  // value written to each original row is remembered, to check every row afterwards.
  const written = new Map<number, number>()
  const app = startWriter(db, (index) => {
    if (index % 2 === 0) return ['INSERT INTO users (age) VALUES ($1)', [String(index % 90)]]
    const id = 1 + (index % 8000)
    written.set(id, index % 90)
    return ['UPDATE users SET age = $1 WHERE id = $2', [String(index % 90), id]]
  })
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  const column = await db.one(
    "SELECT data_type, is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'age'",
  )
  assert.deepEqual(column, { data_type: 'integer', is_nullable: 'NO' })
  const rows = await db.query('SELECT id::int, age FROM users WHERE id <= 8000')
  const wrong = rows.rows.filter((row) => row.age !== (written.get(row.id) ?? row.id % 90))
  assert.deepEqual(wrong, [], 'every original row has its last written value, as an integer')
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM users')).n,
    8000 + Math.ceil(load.writes / 2),
    'no insert lost (every other write is an insert)',
  )
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE '%strata_sync_age'")).n,
    0,
  )

  const down = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(down.code, 0, down.stderr)
  const reverted = await db.one(
    "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'age'",
  )
  assert.equal(reverted.data_type, 'text')
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM users WHERE age IS NULL OR age !~ '^[0-9]+$'")).n,
    0,
  )
})

test('changeColumnType carries plain indexes and views over (options, grants, comment), the downgrade brings them back; a key or materialized view bound to the column is refused with nothing changed', async (t) => {
  const db = await createTestDatabase(t)
  const reader = await createTestRole(t, { prefix: 'reader' })
  await db.query(`CREATE TABLE orders (id bigserial PRIMARY KEY, user_id int, note text);
    INSERT INTO orders (user_id, note) SELECT g % 50, 'n' || g FROM generate_series(1, 2000) g;
    CREATE INDEX orders_user_id_idx ON orders (user_id);
    CREATE UNIQUE INDEX "Orders by note" ON orders (note, user_id) INCLUDE (id);
    CREATE INDEX orders_note_idx ON orders (note);
    CREATE VIEW user_orders WITH (security_barrier = true) AS SELECT id, user_id FROM orders WHERE user_id > 0;
    CREATE VIEW order_users AS SELECT DISTINCT user_id FROM user_orders;
    GRANT SELECT ON user_orders TO ${reader.name};
    COMMENT ON VIEW user_orders IS 'orders that have a user';`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('orders', 'user_id', 'bigint')",
      "  await op.revertColumnType('orders', 'user_id', 'integer')",
    ),
  )
  const indexes = async () =>
    (
      await db.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'orders' ORDER BY indexname")
    ).rows.map((row) => row.indexdef)
  const before = await indexes()
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await indexes(), [
    'CREATE UNIQUE INDEX "Orders by note" ON public.orders USING btree (note, user_id) INCLUDE (id)',
    'CREATE UNIQUE INDEX "Orders by note_strata_old" ON public.orders USING btree (note, user_id_strata_old) INCLUDE (id)',
    'CREATE INDEX orders_note_idx ON public.orders USING btree (note)',
    'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)',
    'CREATE INDEX orders_user_id_idx ON public.orders USING btree (user_id)',
    'CREATE INDEX orders_user_id_idx_strata_old ON public.orders USING btree (user_id_strata_old)',
  ])
  // The views read the new column, rows written after the swap included, and keep their
  // options, grants and comment.
  await db.query('INSERT INTO orders (user_id, note) VALUES (3000000000, $1)', ['after'])
  assert.deepEqual(await db.one('SELECT max(user_id)::text AS top FROM order_users'), { top: '3000000000' })
  assert.deepEqual(
    await db.one(`SELECT reloptions::text AS options, obj_description('user_orders'::regclass) AS comment,
      has_table_privilege('${reader.name}', 'user_orders', 'SELECT') AS granted,
      format_type(atttypid, atttypmod) AS type FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id'
      WHERE c.oid = 'user_orders'::regclass`),
    { options: '{security_barrier=true}', comment: 'orders that have a user', granted: true, type: 'bigint' },
  )
  await db.query("DELETE FROM orders WHERE note = 'after'")
  // The new column's index serves its queries.
  await db.query('ANALYZE orders')
  const plan = await db.query('EXPLAIN SELECT * FROM orders WHERE user_id = 7')
  assert.match(plan.rows.map((row) => row['QUERY PLAN']).join('\n'), /orders_user_id_idx/)
  const down = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(down.code, 0, down.stderr)
  assert.deepEqual(await indexes(), before)
  assert.deepEqual(
    await db.one(
      "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'order_users'::regclass AND attname = 'user_id'",
    ),
    { type: 'integer' },
  )

  // A foreign key, and a materialized view reading it through a view: refused before the first step.
  await db.query(`CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT g FROM generate_series(0, 49) g;
    ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id);
    CREATE MATERIALIZED VIEW busy_users AS SELECT user_id, count(*) FROM order_users GROUP BY user_id;`)
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /changeColumnType\('orders', 'user_id'\): orders\.user_id has foreign key orders_user_fkey, materialized view busy_users, bound to the column, not to its name: after the swap they would stay on the old values .*Nothing was changed/,
  )
  assert.deepEqual(
    (
      await db.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
      )
    ).rows.map((row) => row.attname),
    ['id', 'user_id', 'note'],
  )
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE '%strata_sync_user_id'")).n,
    0,
  )
})

test('changeColumnType rendered offline stops before any change where the column has an index, view, NOT NULL, default or comment it cannot carry; without one it runs', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE orders (id bigserial PRIMARY KEY, user_id int);
    INSERT INTO orders (user_id) SELECT g FROM generate_series(1, 50) g;
    CREATE INDEX orders_user_id_idx ON orders (user_id);`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.changeColumnType('orders', 'user_id', 'bigint')"))
  const script = await project.cli(['upgrade', 'base:head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  assert.throws(
    () => runWithPsql(db.url, script.stdout),
    /changeColumnType\('orders', 'user_id'\): orders\.user_id has index orders_user_id_idx, bound to the column, not to its name: this script cannot carry it over to the new column\. Run the migration with strata upgrade/,
  )
  const type = async () =>
    (
      await db.one(
        "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'user_id'",
      )
    ).type
  assert.equal(await type(), 'integer')
  assert.equal(
    (
      await db.one(
        "SELECT to_regclass('orders') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'user_id_strata_new') AS clean",
      )
    ).clean,
    true,
  )

  // The column's own default and comment, which the online run carries, stop it too.
  const rest = (await project.cli(['upgrade', 'aaa111:head', '--sql'])).stdout
  await db.query(
    "DROP INDEX orders_user_id_idx; ALTER TABLE orders ALTER COLUMN user_id SET DEFAULT 0, ALTER COLUMN user_id SET NOT NULL; COMMENT ON COLUMN orders.user_id IS 'buyer'",
  )
  assert.throws(
    () => runWithPsql(db.url, rest),
    /orders\.user_id has NOT NULL constraint, comment on the column, default 0, bound to the column/,
  )
  assert.equal(await type(), 'integer')

  // The script stopped after aaa111 (committed on its own): the rest, from there.
  await db.query(
    'ALTER TABLE orders ALTER COLUMN user_id DROP DEFAULT, ALTER COLUMN user_id DROP NOT NULL; COMMENT ON COLUMN orders.user_id IS NULL',
  )
  runWithPsql(db.url, rest)
  assert.equal(await type(), 'bigint')
})

test("rebuildTable gives the new table the old one's indexes, constraints, triggers, row security, grants and comments under their names; revertRebuild gives the names back", async (t) => {
  const db = await createTestDatabase(t)
  const reader = await createTestRole(t, { prefix: 'reader' })
  await db.query(`CREATE TABLE teams (id int PRIMARY KEY); INSERT INTO teams VALUES (1);
    CREATE TABLE members (id bigint PRIMARY KEY, email text NOT NULL, age int CHECK (age > 0), team int REFERENCES teams (id),
                          ticket serial, CONSTRAINT members_email_key UNIQUE (email));
    CREATE INDEX members_adults ON members (age) WHERE age >= 18;
    INSERT INTO members SELECT g, 'm' || g, 20 + g % 50, 1 FROM generate_series(1, 500) g;
    INSERT INTO teams VALUES (3); INSERT INTO members VALUES (600, 'm600', 30, 3);
    GRANT UPDATE (email) ON members TO ${reader.name};
    CREATE FUNCTION members_lower() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
    CREATE TRIGGER members_lower BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION members_lower();
    ALTER TABLE members ENABLE ROW LEVEL SECURITY;
    CREATE POLICY adults_only ON members FOR SELECT TO ${reader.name} USING (age >= 18);
    GRANT SELECT ON members TO ${reader.name};
    COMMENT ON TABLE members IS 'club members'; COMMENT ON COLUMN members.email IS 'login';`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      `  await op.rebuildTable('members', { columns: [
    { name: 'id', type: 'bigint', primaryKey: true },
    { name: 'email', type: 'text', nullable: false },
    { name: 'age', type: 'int' },
    { name: 'team', type: 'int' },
    { name: 'ticket', type: 'int', nullable: false, default: op.sql("nextval('members_ticket_seq')") },
    { name: 'joined', type: 'date' },
  ] })`,
      "  await op.revertRebuild('members')",
    ),
  )
  const objects = async (table: string) =>
    await db.one(
      `SELECT ARRAY(SELECT conname::text FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1) AS constraints,
                ARRAY(SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY 1) AS indexes,
                ARRAY(SELECT tgname::text FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal) AS triggers,
                ARRAY(SELECT polname::text FROM pg_policy WHERE polrelid = $1::regclass) AS policies,
                (SELECT relrowsecurity FROM pg_class WHERE oid = $1::regclass) AS security,
                has_table_privilege($2, $1::regclass, 'SELECT') AS granted,
                obj_description($1::regclass, 'pg_class') AS comment, col_description($1::regclass, 2) AS email_comment,
                has_column_privilege($2, $1::regclass, 'email', 'UPDATE') AS column_granted,
                pg_get_serial_sequence($1::text, 'ticket') AS ticket_sequence`,
      [table, reader.name],
    )
  const before = await objects('members')
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await objects('members'), before, 'the new table has all of it, under the same names')
  // The old table keeps its rows for the downgrade, but not its foreign keys: they would
  // refuse deleting a team only its old rows reference.
  assert.deepEqual((await objects('members_strata_old')).constraints, [
    'members_age_check',
    'members_email_key_strata_old',
    'members_pkey_strata_old',
  ])
  await db.query('DELETE FROM members WHERE id = 600; DELETE FROM teams WHERE id = 3')
  // The unique index is there and works; the trigger runs; the new column is there.
  await db.query("INSERT INTO members (id, email, age, team) VALUES (1000, 'NEW@example.com', 30, 1)")
  assert.deepEqual(await db.one('SELECT email, joined FROM members WHERE id = 1000'), {
    email: 'new@example.com',
    joined: null,
  })
  await assert.rejects(
    db.query("INSERT INTO members (id, email, age) VALUES (1001, 'm1', 30)"),
    /members_email_key/,
  )
  await db.query('DELETE FROM members WHERE id = 1000')

  const down = await project.cli(['downgrade', '-1'])
  assert.equal(down.code, 0, down.stderr)
  assert.deepEqual(await objects('members'), before)
  // Its old rows (the downgrade brings back what was deleted since) reference the team
  // deleted meanwhile: the key is back, NOT VALID, and the downgrade says so.
  assert.match(
    down.stdout + down.stderr,
    /foreign key "members_team_fkey" of "members" stays NOT VALID: rows from before the rebuild reference rows deleted since/,
  )
  assert.deepEqual(
    await db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'members_team_fkey'"),
    { convalidated: false },
  )
  assert.equal((await db.one("SELECT to_regclass('members_strata_old') AS t")).t, null)
})

test('revertColumnType after a contract migration dropped the old values refuses, changing nothing, instead of reporting the type back', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    'CREATE TABLE notes (id bigserial PRIMARY KEY, score int); INSERT INTO notes (score) VALUES (1), (2)',
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('notes', 'score', 'bigint')",
      "  await op.revertColumnType('notes', 'score', 'integer')",
    ),
  )
  project.sql('ccc333', {
    down: 'bbb222',
    up: 'ALTER TABLE notes DROP COLUMN score_strata_old;',
    downSql: 'SELECT 1;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const down = await project.cli(['downgrade', 'aaa111', '--no-backup'])
  assert.equal(down.code, 1)
  assert.match(
    down.stderr,
    /revertColumnType\('notes', 'score'\): notes\.score is not integer, and score_strata_old, which held the old values, is gone \(a contract migration dropped it\?\): there is nothing to go back to\. Nothing was changed/,
  )
  assert.equal((await project.cli(['current'])).stdout, 'bbb222\n')
})

test('rebuildTable leaving out a column an index, check or view uses is refused before the first step, by name', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, email text, legacy int CHECK (legacy > 0));
    CREATE INDEX accounts_legacy_idx ON accounts (legacy); CREATE VIEW legacy_accounts AS SELECT id, legacy FROM accounts;
    INSERT INTO accounts VALUES (1, 'a', 1);`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.rebuildTable('accounts', { columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'email', type: 'text' }] })",
    ),
  )
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /rebuildTable\('accounts'\): the new table leaves out legacy, which check accounts_legacy_check \(legacy\), index accounts_legacy_idx \(legacy\), view legacy_accounts \(legacy\) use: they could not be made on the new table\. Nothing was changed/,
  )
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'accounts\\_strata%'")).n,
    0,
  )
})

test('changeColumnType run by a role that may not drop a view over the column (another role owns it) is refused before the first step', async (t) => {
  const db = await createTestDatabase(t)
  const migrator = await createTestRole(t, { prefix: 'migrator' })
  await db.query(`GRANT CREATE ON SCHEMA public TO ${migrator.name};
    CREATE TABLE readings (id bigserial PRIMARY KEY, value int); INSERT INTO readings (value) VALUES (1), (2);
    ALTER TABLE readings OWNER TO ${migrator.name};
    CREATE VIEW reading_values AS SELECT id, value FROM readings;`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.changeColumnType('readings', 'value', 'bigint')"))
  const url = urlOf({ ...db.spec, user: migrator.name, password: migrator.password })
  const refused = await project.cli(['--url', url, 'upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /readings\.value has view reading_values \(its owner postgres, whose views this role may not drop and make again\), bound to the column, not to its name: .*Nothing was changed/,
  )
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'readings'::regclass AND attname = 'value_strata_new'",
      )
    ).n,
    0,
  )
  // Nor may it rebuild a table another role owns: said before any step.
  await db.query('CREATE TABLE gauges (id bigint PRIMARY KEY, value int)')
  project.ts(
    'bbb222',
    migration(
      "  await op.rebuildTable('gauges', { columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'value', type: 'bigint' }] })",
    ),
  )
  const notOwner = await project.cli(['--url', url, 'upgrade', 'head'])
  assert.equal(notOwner.code, 1)
  assert.match(
    notOwner.stderr,
    /rebuildTable\('gauges'\): gauges is owned by postgres, and this role may not act as it: .*Nothing was changed/,
  )
  assert.equal((await db.one("SELECT to_regclass('gauges_strata_new') AS t")).t, null)
})

test('a recipe given a table or column the database does not have says so, with the name meant, before any step', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE users (id bigserial PRIMARY KEY, score int)')
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const refusal = async (call: string) => {
    project.ts('bbb222', migration(`  await op.${call}`))
    const result = await project.cli(['upgrade', 'head'])
    assert.equal(result.code, 1)
    return result.stderr
  }
  assert.match(
    await refusal("rebuildTable('usres', { columns: [{ name: 'id', type: 'bigint', primaryKey: true }] })"),
    /rebuildTable\('usres'\): there is no table usres to rebuild in this database \(or in the schemas of its search_path\)\. Did you mean "users"\?/,
  )
  assert.match(
    await refusal("changeColumnType('users', 'scroe', 'bigint')"),
    /changeColumnType\('users', 'scroe'\): users has no column scroe\. Did you mean "score"\?/,
  )
  assert.match(
    await refusal("changeColumnType('accounts', 'score', 'bigint')"),
    /changeColumnType\('accounts', 'score'\): there is no table accounts in this database/,
  )
  // A column of that type already: nothing is rewritten, and the run says why.
  project.ts('bbb222', migration("  await op.changeColumnType('users', 'score', 'integer')"))
  const same = await project.cli(['upgrade', 'head'])
  assert.equal(same.code, 0, same.stderr)
  assert.match(same.stdout + same.stderr, /users\.score is integer already: nothing to change/)
  assert.deepEqual(
    (await db.query("SELECT relname FROM pg_class WHERE relname LIKE '%strata%' AND relkind = 'r'")).rows
      .map((row) => row.relname)
      .sort(),
    ['strata_history'],
  )
})

test('revertRebuild after a contract migration dropped the old table refuses, changing nothing, instead of reporting it swapped back', async (t) => {
  const db = await createTestDatabase(t)
  await db.query("CREATE TABLE logs (id bigint PRIMARY KEY, line text); INSERT INTO logs VALUES (1, 'a')")
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.rebuildTable('logs', { columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'line', type: 'text' }, { name: 'level', type: 'text' }] })",
      "  await op.revertRebuild('logs')",
    ),
  )
  project.sql('ccc333', { down: 'bbb222', up: 'DROP TABLE logs_strata_old;', downSql: 'SELECT 1;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const down = await project.cli(['downgrade', 'aaa111', '--no-backup'])
  assert.equal(down.code, 1)
  assert.match(
    down.stderr,
    /revertRebuild\('logs'\): logs_strata_old, the table before the rebuild, is gone \(a contract migration dropped it\?\): logs is still the rebuilt one, and there is nothing to go back to\. Nothing was changed/,
  )
  assert.equal((await project.cli(['current'])).stdout, 'bbb222\n')
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'logs'::regclass AND attname = 'level'",
      )
    ).n,
    1,
    'the table is still the rebuilt one',
  )
})

test('rebuildTable copies, replays concurrent inserts, updates and deletes, and swaps; revertRebuild swaps back', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL); INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 20000) g; CREATE VIEW user_emails AS SELECT id, email FROM users",
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      `  await op.rebuildTable('users', {
    columns: [
      { name: 'id', type: 'bigint', primaryKey: true, identity: 'by default' },
      { name: 'email', type: 'text', nullable: false },
      { name: 'preferences', type: 'jsonb', nullable: false, default: {} },
    ],
    select: { preferences: "'{}'::jsonb" },
    batchSize: 2000,
  })`,
      "  await op.revertRebuild('users', { force: true })",
    ),
  )
  // The expected final state, kept as the writer goes (every write succeeds, so it is exact).
  const expected = new Map<number, string>()
  for (let id = 1; id <= 20000; id++) expected.set(id, `user${id}@example.com`)
  let nextId = 1_000_000
  const app = startWriter(db, (index) => {
    const id = 1 + ((index * 7919) % 20000)
    if (index % 3 === 0) {
      const newId = nextId++
      expected.set(newId, `new${newId}@example.com`)
      return ['INSERT INTO users (id, email) VALUES ($1, $2)', [newId, `new${newId}@example.com`]]
    }
    if (index % 3 === 1) {
      if (expected.has(id)) expected.set(id, `changed${index}@example.com`)
      return ['UPDATE users SET email = $2 WHERE id = $1', [id, `changed${index}@example.com`]]
    }
    expected.delete(id)
    return ['DELETE FROM users WHERE id = $1', [id]]
  })
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.ok(load.writes > 20)
  const rows = await db.query('SELECT id::int, email, preferences FROM users ORDER BY id')
  const actual = new Map(rows.rows.map((row) => [row.id as number, row.email as string]))
  const missing = [...expected].filter(([id, email]) => actual.get(id) !== email)
  const extra = [...actual.keys()].filter((id) => !expected.has(id))
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5) },
    { missing: [], extra: [] },
    'the rebuilt table holds exactly what the writer left',
  )
  assert.ok(rows.rows.every((row) => JSON.stringify(row.preferences) === '{}'))
  assert.notEqual((await db.one("SELECT to_regclass('users_strata_old') AS t")).t, null)
  assert.equal((await db.one("SELECT to_regclass('users_strata_log') AS t")).t, null)
  // The table swapped in has statistics from the start (analysed before the swap).
  const analysed = await db.one(
    "SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'public' AND tablename = 'users' AND attname IN ('id', 'email', 'preferences')",
  )
  assert.equal(analysed.n, 3)
  const sequence = await db.one(
    "SELECT last_value::bigint AS v FROM pg_sequences WHERE sequencename = 'users_strata_new_id_seq'",
  )
  assert.ok(Number(sequence.v) >= 1_000_000, `the identity continues after the copied ids (${sequence.v})`)
  // The view reads the new table, not the old one left beside it.
  const viewRows = async () => (await db.one('SELECT count(*)::int AS n FROM user_emails')).n
  assert.equal(await viewRows(), expected.size)
  assert.doesNotMatch((await db.one("SELECT pg_get_viewdef('user_emails') AS d")).d, /strata/)

  const down = await project.cli(['downgrade', '-1'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal(await viewRows(), (await db.one('SELECT count(*)::int AS n FROM users')).n)

  // A foreign key of another table that references it: refused before the first step.
  await db.query('CREATE TABLE logins (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id))')
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /rebuildTable\('users'\): users has foreign key logins_user_id_fkey of logins, bound to the table, not to its name: after the swap it would stay on the old table\. Nothing was changed/,
  )
  assert.equal((await db.one("SELECT to_regclass('users_strata_new') AS t")).t, null)
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'preferences'",
      )
    ).n,
    0,
  )
})

test('changeColumnType on a table without a primary key changes nothing and says so; with `key` it runs, on a partitioned table too', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE events (id bigint NOT NULL, user_id integer, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    INSERT INTO events SELECT g, g % 50, '2025-06-01'::date + (g % 400) FROM generate_series(1, 3000) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.changeColumnType('events', 'user_id', 'bigint')"))
  const columns = async () =>
    (
      await db.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
      )
    ).rows.map((row) => row.attname)

  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /needs a key to page by, and the table has no primary key/)
  assert.match(refused.stderr, /pass `key: \['column', \.\.\.\]`/)
  assert.deepEqual(await columns(), ['id', 'user_id', 'at'], 'found before the first step: nothing added')
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'events'::regclass")).n,
    0,
  )

  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('events', 'user_id', 'bigint', { key: ['id', 'at'] })",
      "  await op.revertColumnType('events', 'user_id', 'integer', { key: ['id', 'at'] })",
    ),
  )
  const done = await project.cli(['upgrade', 'head'])
  assert.equal(done.code, 0, done.stderr)
  const type = await db.one(
    "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'events_2026'::regclass AND attname = 'user_id'",
  )
  assert.equal(type.type, 'bigint')
  assert.equal((await db.one('SELECT count(*)::int AS n FROM events WHERE user_id = id % 50')).n, 3000)
  assert.equal((await project.cli(['downgrade', '-1', '--no-backup'])).code, 0)
  assert.deepEqual(await columns(), ['id', 'user_id', 'at'])
})

test("changeColumnType gives the new column the old one's default, comment, column grants and serial sequence, so inserts that leave it out keep working; the downgrade gives them back with NOT NULL", async (t) => {
  const db = await createTestDatabase(t)
  const reader = await createTestRole(t, { prefix: 'reader' })
  await db.query(`CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, qty int NOT NULL DEFAULT 1, seqn serial, note text DEFAULT 'n/a');
    INSERT INTO orders (qty) SELECT g FROM generate_series(1, 1500) g;
    COMMENT ON COLUMN orders.qty IS 'how many';
    GRANT SELECT (qty), UPDATE (qty) ON orders TO ${reader.name};`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('orders', 'qty', 'bigint')\n  await op.changeColumnType('orders', 'seqn', 'bigint')",
      "  await op.revertColumnType('orders', 'seqn', 'integer')\n  await op.revertColumnType('orders', 'qty', 'integer')",
    ),
  )
  const column = (name: string) =>
    db.one(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
              pg_get_expr(d.adbin, d.adrelid) AS "default", col_description(a.attrelid, a.attnum) AS comment,
              has_column_privilege('${reader.name}', 'orders', a.attname, 'UPDATE') AS granted,
              pg_get_serial_sequence('orders', a.attname) AS sequence
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = 'orders'::regclass AND a.attname = $1`,
      [name],
    )
  // Both columns as the old ones were, but for the type.
  const carried = async (type: string) => {
    const both = { qty: await column('qty'), seqn: await column('seqn') }
    assert.deepEqual(both, {
      qty: { type, notNull: true, default: '1', comment: 'how many', granted: true, sequence: null },
      seqn: {
        type,
        notNull: true,
        default: "nextval('orders_seqn_seq'::regclass)",
        comment: null,
        granted: false,
        sequence: 'public.orders_seqn_seq',
      },
    })
  }
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  await carried('bigint')
  assert.equal((await column('qty_strata_old')).default, null, 'nothing writes the old column any more')
  // What the application inserts without naming the columns gets their defaults.
  const inserted = await db.one('INSERT INTO orders (note) VALUES ($1) RETURNING qty::int, seqn::int', [
    'after',
  ])
  assert.deepEqual(inserted, { qty: 1, seqn: 1501 })

  const down = await project.cli(['downgrade', '-1', '--no-backup'])
  assert.equal(down.code, 0, down.stderr)
  await carried('integer')
  assert.deepEqual(await db.one('INSERT INTO orders DEFAULT VALUES RETURNING qty, seqn'), {
    qty: 1,
    seqn: 1502,
  })
  assert.equal((await db.one('SELECT count(*)::int AS n FROM orders WHERE qty IS NULL OR seqn IS NULL')).n, 0)
})

test('changeColumnType refuses, before the first step, a default the new type would not take and an identity column; { default } gives the one meant', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE orders (id bigserial PRIMARY KEY, note text DEFAULT 'n/a', n int GENERATED BY DEFAULT AS IDENTITY);
    INSERT INTO orders (note) SELECT 'note ' || g FROM generate_series(1, 500) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const columns = async () =>
    (
      await db.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
      )
    ).rows.map((row) => row.attname)
  project.ts(
    'bbb222',
    migration("  await op.changeColumnType('orders', 'note', 'integer', { using: 'length(note)' })"),
  )
  const misfit = await project.cli(['upgrade', 'head'])
  assert.equal(misfit.code, 1)
  assert.match(
    misfit.stderr,
    /changeColumnType\('orders', 'note'\): the column's default, 'n\/a'::text, does not fit integer: column "note" is of type integer but default expression is of type text\. Nothing was changed/,
  )
  assert.match(
    misfit.stderr,
    /hint: give the default it should have as integer: \{ default: op\.sql\('\.\.\.'\) \}/,
  )
  assert.doesNotMatch(misfit.stderr, /rolled back to/, 'nothing of the migration was committed')
  // After a statement of its own (committed by the recipe's first COMMIT), the refusal says what stays.
  project.ts(
    'bbb222',
    migration(
      "  await op.execute('CREATE TABLE audit (id int)')\n  await op.changeColumnType('orders', 'note', 'integer', { using: 'length(note)' })",
    ),
  )
  const after = await project.cli(['upgrade', 'head'])
  assert.equal(after.code, 1)
  assert.match(
    after.stderr,
    /Nothing was changed\n {2}rolled back to bbb222's last commit: what op\.autocommit committed before the failure stays/,
  )
  assert.equal((await db.one("SELECT to_regclass('audit') IS NOT NULL AS kept")).kept, true)
  await db.query('DROP TABLE audit')
  project.ts('bbb222', migration("  await op.changeColumnType('orders', 'n', 'bigint')"))
  const identity = await project.cli(['upgrade', 'head'])
  assert.equal(identity.code, 1)
  assert.match(identity.stderr, /orders\.n is an identity column, whose values PostgreSQL makes itself/)
  assert.deepEqual(await columns(), ['id', 'note', 'n'], 'nothing added')

  project.ts(
    'bbb222',
    migration(
      "  await op.changeColumnType('orders', 'note', 'integer', { using: 'length(note)', default: op.sql('0') })",
    ),
  )
  const given = await project.cli(['upgrade', 'head'])
  assert.equal(given.code, 0, given.stderr)
  assert.deepEqual(await db.one('INSERT INTO orders DEFAULT VALUES RETURNING note'), { note: 0 })
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM orders WHERE note = length('note ' || id)")).n,
    500,
  )
})

test('dedupeAndAddUnique refuses, moving nothing, when rows elsewhere reference a duplicate (a CASCADE would delete them), and names the UPDATE that points them at the row that stays; offline too', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE accounts (id bigserial PRIMARY KEY, email text);
    INSERT INTO accounts (email) SELECT 'a' || (g % 100) || '@example.com' FROM generate_series(1, 300) g;
    CREATE TABLE logins (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts (id) ON DELETE CASCADE);
    INSERT INTO logins (account_id) SELECT id FROM accounts`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.dedupeAndAddUnique('accounts', ['email'], { keep: 'id DESC' })"))
  const counts = async () =>
    db.one(`SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM logins) AS logins,
      to_regclass('accounts_strata_dups') IS NULL AS "noSideTable"`)

  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /dedupeAndAddUnique\('accounts'\): 200 rows of logins reference a duplicate it would move aside \(foreign key logins_account_id_fkey: its ON DELETE CASCADE would delete them, kept nowhere\)\. Nothing was changed/,
  )
  assert.deepEqual(await counts(), { accounts: 300, logins: 300, noSideTable: true })

  // Offline, the script stops at the same place.
  const script = await project.cli(['upgrade', 'aaa111:head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  assert.throws(
    () => runWithPsql(db.url, script.stdout),
    /dedupeAndAddUnique\('accounts'\): 200 row\(s\) of logins reference a duplicate it would move aside \(foreign key logins_account_id_fkey\)/,
  )
  assert.deepEqual(await counts(), { accounts: 300, logins: 300, noSideTable: true })

  // The hint's UPDATE, run first, merges the logins onto the accounts that stay.
  const update = /^ {2}(UPDATE logins .+;)$/m.exec(refused.stderr)?.[1]
  assert.ok(update, refused.stderr)
  project.ts(
    'bbb222',
    migration(
      `  await op.execute(${JSON.stringify(update)})\n  await op.dedupeAndAddUnique('accounts', ['email'], { keep: 'id DESC' })`,
    ),
  )
  const done = await project.cli(['upgrade', 'head'])
  assert.equal(done.code, 0, done.stderr)
  assert.deepEqual(
    await db.one(`SELECT count(*)::int AS logins, count(DISTINCT account_id)::int AS accounts,
      bool_and(account_id > 200) AS "toTheNewest" FROM logins`),
    { logins: 300, accounts: 100, toTheNewest: true },
  )
})

test('addNotNullColumn with a volatile default fills the rows in batches instead of rewriting the table, each row its own value', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigserial PRIMARY KEY, email text);
    INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 3000) g`)
  const filenode = async () => (await db.one("SELECT pg_relation_filenode('users')::text AS node")).node
  const before = await filenode()
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration(
      "  await op.addNotNullColumn('users', { name: 'public_id', type: 'uuid', default: op.sql('gen_random_uuid()') }, { batchSize: 1000 })",
      "  await op.dropColumn('users', 'public_id')",
    ),
  )
  // Offline, the script takes the same path: no ADD COLUMN with the volatile default.
  const script = await project.cli(['upgrade', 'base:head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  assert.doesNotMatch(script.stdout, /ADD COLUMN IF NOT EXISTS "public_id" uuid DEFAULT/)
  assert.match(script.stdout, /ALTER TABLE "users" ALTER COLUMN "public_id" SET DEFAULT gen_random_uuid\(\)/)

  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal(await filenode(), before, 'the table was not rewritten')
  assert.deepEqual(
    await db.one(
      'SELECT count(*)::int AS rows, count(DISTINCT public_id)::int AS distinct, count(*) FILTER (WHERE public_id IS NULL)::int AS nulls FROM users',
    ),
    { rows: 3000, distinct: 3000, nulls: 0 },
  )
  const added = await db.one(
    "INSERT INTO users (email) VALUES ('new@example.com') RETURNING public_id IS NOT NULL AS filled",
  )
  assert.equal(added.filled, true)
  assert.equal(
    (
      await db.one(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'public_id'",
      )
    ).attnotnull,
    true,
  )
})

test('changeColumnType run by a role without TEMP on the database carries the default all the same (it cannot try it on a temporary table first)', async (t) => {
  const db = await createTestDatabase(t)
  const migrator = await createTestRole(t, { prefix: 'migrator' })
  await db.query(`GRANT CREATE ON SCHEMA public TO ${migrator.name};
    REVOKE TEMPORARY ON DATABASE ${db.spec.database} FROM PUBLIC;
    CREATE TABLE readings (id bigserial PRIMARY KEY, value int NOT NULL DEFAULT 7); INSERT INTO readings (value) VALUES (1), (2);
    ALTER TABLE readings OWNER TO ${migrator.name};`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.changeColumnType('readings', 'value', 'bigint')"))
  const url = urlOf({ ...db.spec, user: migrator.name, password: migrator.password })
  const result = await project.cli(['--url', url, 'upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await db.one('INSERT INTO readings DEFAULT VALUES RETURNING value::int'), { value: 7 })
})

test("changeColumnType's sync trigger fires after the application's own BEFORE triggers, so the new column gets the value they leave; the application's sessions, which ran its PL/pgSQL trigger, keep writing after the swap", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE codes (id bigserial PRIMARY KEY, code text);
    INSERT INTO codes (code) SELECT 'C' || g FROM generate_series(1, 6000) g;
    CREATE FUNCTION upper_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.code := upper(NEW.code); RETURN NEW; END $$;
    CREATE TRIGGER trg_upper_code BEFORE INSERT OR UPDATE ON codes FOR EACH ROW EXECUTE FUNCTION upper_code();`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    migration("  await op.changeColumnType('codes', 'code', 'varchar(20)', { batchSize: 300 })"),
  )
  const app = startWriter(db, (index) => ['INSERT INTO codes (code) VALUES ($1)', [`new${index}`]])
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.ok(load.writes > 0)
  assert.deepEqual(
    (await db.query('SELECT id::int, code FROM codes WHERE code <> upper(code) ORDER BY id LIMIT 5')).rows,
    [],
    'every row written while both columns were kept in step has the value the application trigger left',
  )
})

test("op.alterColumn changing a type makes the table's PL/pgSQL trigger functions compile again: the application's sessions keep writing", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE codes (id bigserial PRIMARY KEY, code text);
    CREATE FUNCTION upper_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.code := upper(NEW.code); RETURN NEW; END $$;
    CREATE TRIGGER trg_upper_code BEFORE INSERT OR UPDATE ON codes FOR EACH ROW EXECUTE FUNCTION upper_code();`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', migration("  await op.alterColumn('codes', 'code', { type: 'varchar(40)' })"))
  const app = startWriter(db, (index) => ['INSERT INTO codes (code) VALUES ($1)', [`new${index}`]])
  // The application's session has run the trigger before the type changes.
  while ((await db.one('SELECT count(*)::int AS n FROM codes')).n < 20)
    await new Promise((r) => setTimeout(r, 20))
  const result = await project.cli(['upgrade', 'head'])
  await new Promise((resolve) => setTimeout(resolve, 200))
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [], 'no write failed with "type of parameter ... does not match"')
  assert.equal((await db.one('SELECT count(*)::int AS n FROM codes WHERE code <> upper(code)')).n, 0)
})

test("a non-transactional migration failing after a backfill lists the batches it committed, not the backfill's bookkeeping, and not all of them", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE users (id bigserial PRIMARY KEY, name text, upper_name text);
    INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 3000) g`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    `export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.backfill({ table: 'users', set: { upper_name: op.sql('upper(name)') }, where: 'upper_name IS NULL', batchSize: 300 })\n  await op.execute('SELECT 1 / 0')\n}\nexport async function downgrade(op) {}\n`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /bbb222 is non-transactional, so what ran before the failure stays: 1[01] statement\(s\) completed: WITH batch AS .* \| \([56] more\) \| WITH batch AS [^|]*; the version table still says aaa111/,
  )
  assert.doesNotMatch(result.stderr, /strata_backfill|BEGIN; SET LOCAL/)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users WHERE upper_name IS NOT NULL')).n, 3000)
})
