import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
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
    (await db.one("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'strata_sync_age'")).n,
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

test('rebuildTable copies, replays concurrent inserts, updates and deletes, and swaps; revertRebuild swaps back', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL); INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 20000) g",
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
  const sequence = await db.one(
    "SELECT last_value::bigint AS v FROM pg_sequences WHERE sequencename = 'users_strata_new_id_seq'",
  )
  assert.ok(Number(sequence.v) >= 1_000_000, `the identity continues after the copied ids (${sequence.v})`)

  const down = await project.cli(['downgrade', '-1'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'preferences'",
      )
    ).n,
    0,
  )
})
