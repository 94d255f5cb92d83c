import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'

const EVERY_OPERATION = `export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op) {
  await op.createExtension('pgcrypto')
  await op.createSchema('app')
  await op.createEnum('app.mood', ['sad', 'ok'])
  await op.addEnumValue('app.mood', 'happy', { after: 'ok' })
  await op.createTable('app.users', [
    { name: 'id', type: 'bigint', primaryKey: true, identity: true },
    { name: 'email', type: 'text', nullable: false },
    { name: 'mood', type: 'app.mood', default: 'ok' },
    { name: 'created_at', type: 'timestamptz', nullable: false, default: op.sql('now()') },
  ], { comment: 'accounts' })
  await op.createTable('app.posts', [
    { name: 'id', type: 'bigint', nullable: false },
    { name: 'user_id', type: 'bigint' },
    { name: 'title', type: 'varchar(200)' },
  ])
  await op.createPrimaryKey('pk_posts', 'app.posts', ['id'])
  await op.addColumn('app.users', { name: 'age_old', type: 'text' })
  await op.alterColumn('app.users', 'age_old', { type: 'integer', using: op.sql('age_old::integer'), default: 0, comment: 'years' })
  await op.alterColumn('app.users', 'age_old', { newName: 'age' })
  await op.createIndex('ix_users_email', 'app.users', ['email'], { unique: true, include: ['id'] })
  await op.createUniqueConstraint('uq_users_email', 'app.users', [], { usingIndex: 'ix_users_email' })
  await op.createForeignKey('fk_posts_user', 'app.posts', 'app.users', ['user_id'], ['id'], { onDelete: 'cascade', notValid: true })
  await op.validateConstraint('fk_posts_user', 'app.posts')
  await op.createCheckConstraint('ck_users_age', 'app.users', 'age >= 0', { notValid: true })
  await op.validateConstraint('ck_users_age', 'app.users')
  await op.bulkInsert('app.users', [{ email: "a@example.com", age: 30 }, { email: "o'neil@example.com" }])
  await op.renameTable('app.posts', 'articles')
  await op.comment('table', 'app.articles', 'renamed posts')
  await op.dropColumn('app.articles', 'title')
}
export async function downgrade(op) {
  await op.dropConstraint('fk_posts_user', 'app.articles')
  await op.dropTable('app.articles')
  await op.dropTable('app.users')
  await op.dropEnum('app.mood')
  await op.dropSchema('app')
  await op.dropExtension('pgcrypto')
}
`

async function fingerprint(db: TestDatabase): Promise<string> {
  const queries = [
    "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'app' ORDER BY 1, 2, 3",
    "SELECT conname, contype, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'app'::regnamespace ORDER BY 1",
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'app' ORDER BY 1",
    "SELECT enumlabel FROM pg_enum JOIN pg_type t ON t.oid = enumtypid WHERE t.typname = 'mood' ORDER BY enumsortorder",
    "SELECT obj_description('app.users'::regclass) AS users, obj_description('app.articles'::regclass) AS articles, col_description('app.users'::regclass, 5) AS age",
    'SELECT email, age, mood FROM app.users ORDER BY email',
    "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'",
  ]
  const results = []
  for (const query of queries)
    results.push((await db.query(query).catch((error: Error) => ({ rows: error.message }))).rows)
  return JSON.stringify(results)
}

test('every operation runs online and renders offline to the same database', async (t) => {
  const online = await createTestDatabase(t)
  const offline = await createTestDatabase(t)
  const project = testProject(t, online)
  project.ts('aaa111', EVERY_OPERATION)

  const script = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  for (const expected of [
    'CREATE TYPE "app"."mood" AS ENUM (\'sad\', \'ok\');',
    'ALTER TABLE "app"."users" ALTER COLUMN "age_old" TYPE integer USING age_old::integer, ALTER COLUMN "age_old" SET DEFAULT 0;',
    'ALTER TABLE "app"."users" ADD CONSTRAINT "uq_users_email" UNIQUE USING INDEX "ix_users_email";',
    'ALTER TABLE "app"."posts" ADD CONSTRAINT "fk_posts_user" FOREIGN KEY ("user_id") REFERENCES "app"."users" ("id") ON DELETE CASCADE NOT VALID;',
    `INSERT INTO "app"."users" ("email", "age") VALUES ('a@example.com', 30), ('o''neil@example.com', DEFAULT);`,
    'SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 0;',
  ]) {
    assert.ok(script.stdout.includes(expected), `offline script contains: ${expected}`)
  }
  runWithPsql(offline.url, script.stdout)

  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  const onlinePrint = await fingerprint(online)
  assert.equal(await fingerprint(offline), onlinePrint)
  assert.match(onlinePrint, /"convalidated":true/)
  assert.match(onlinePrint, /o'neil@example.com/)
  assert.match(onlinePrint, /\["sad"|"enumlabel":"sad"/)

  const downScript = await project.cli(['downgrade', 'aaa111:base', '--sql'])
  runWithPsql(offline.url, downScript.stdout)
  assert.equal((await project.cli(['downgrade', 'base', '--no-backup'])).code, 0)
  assert.equal(await fingerprint(offline), await fingerprint(online))
  assert.equal((await online.one("SELECT to_regnamespace('app') AS n")).n, null)
})

test('a statement PostgreSQL runs only outside a transaction, in SQL or op.execute, fails with how to mark the migration', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE users (id int, email text);' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);' })
  const sql = await project.cli(['upgrade', 'head'])
  assert.equal(sql.code, 1)
  assert.match(sql.stderr, /ERROR 25001: CREATE INDEX CONCURRENTLY cannot run inside a transaction block/)
  assert.match(
    sql.stderr,
    /hint: PostgreSQL runs this statement only outside a transaction: add the header line `-- transactional: false` to the migration/,
  )
  rmSync(join(project.versions, 'bbb222_m.sql'))
  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport async function upgrade(op) {\n  await op.execute('VACUUM users')\n}\n",
  )
  const ts = await project.cli(['upgrade', 'head'])
  assert.equal(ts.code, 1)
  assert.match(
    ts.stderr,
    /hint: PostgreSQL runs this statement only outside a transaction: run it as `await op\.autocommit\(\(\) => op\.execute\(\.\.\.\)\)`/,
  )
  project.sql('bbb222', {
    down: 'aaa111',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
  })
  rmSync(join(project.versions, 'bbb222_m.ts'))
  const marked = await project.cli(['upgrade', 'head'])
  assert.equal(marked.code, 0, marked.stderr)

  // On a table the same migration creates, the way out is a plain CREATE INDEX.
  project.sql('ccc333', {
    down: 'bbb222',
    up: 'CREATE TABLE "Orders" (user_id bigint);\nCREATE INDEX CONCURRENTLY ix_orders_user_id ON "Orders" (user_id);',
  })
  const newTable = await project.cli(['upgrade', 'head'])
  assert.equal(newTable.code, 1)
  assert.match(
    newTable.stderr,
    /hint: "Orders" is created by this migration, so nobody uses it yet: drop CONCURRENTLY and the build blocks no one, in the migration's one transaction/,
  )
  const checked = await project.cli(['check', join(project.versions, 'ccc333_m.sql')])
  assert.match(
    checked.stdout,
    /concurrently-in-transaction +line 6 +.*; Orders is created by this migration, so CONCURRENTLY gains nothing\n +fix: CREATE INDEX ix_orders_user_id ON "Orders" \(user_id\) {2}-- a new, empty table/,
  )
})

test('a constraint the existing rows break fails with the rows to look at and the safe way round', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'ada@example.com'), (2, 'ADA@example.com');",
  })
  project.sql('bbb222', {
    down: 'aaa111',
    up: 'CREATE UNIQUE INDEX users_email_key ON users (lower(email));',
  })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /detail: Key \(lower\(email\)\)=\(ada@example\.com\) is duplicated\./)
  assert.match(
    result.stderr,
    /hint: rows of "users" already hold duplicates of \(lower\(email\)\), e\.g\. \(ada@example\.com\)\. List them: SELECT lower\(email\), count\(\*\) FROM "users" GROUP BY lower\(email\) HAVING count\(\*\) > 1;/,
  )
  // The query in the hint runs as given.
  const listed = await db.query(
    'SELECT lower(email), count(*)::int AS n FROM "users" GROUP BY lower(email) HAVING count(*) > 1',
  )
  assert.deepEqual(listed.rows, [{ lower: 'ada@example.com', n: 2 }])
})

test('a DROP that other objects depend on names them and advises against CASCADE', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE notes (id int PRIMARY KEY, body text);' })
  project.sql('bbb222', { down: 'aaa111', up: 'DROP TABLE notes;' })
  assert.equal((await project.cli(['upgrade', 'aaa111'])).code, 0)
  // Made outside the migrations, as a reporting view often is.
  await db.query('CREATE VIEW recent_notes AS SELECT * FROM notes')
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /ERROR 2BP01: cannot drop table notes because other objects depend on it/)
  assert.match(result.stderr, /detail: view recent_notes depends on table notes/)
  assert.match(
    result.stderr,
    /hint: other objects depend on what the statement drops .*Not CASCADE: it drops them too/,
  )
  assert.doesNotMatch(result.stderr, /Use DROP \.\.\. CASCADE/)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM notes')).n, 0, 'notes is still there')
})

test('CONCURRENTLY inside a transactional migration fails with the exact fix; op.autocommit runs it outside', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE users (id int, email text);' })
  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport async function upgrade(op) {\n  await op.createIndex('ix_users_email', 'users', ['email'], { concurrently: true })\n}\n",
  )
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 1)
  assert.match(
    refused.stderr,
    /createIndex\('ix_users_email', \{ concurrently: true \}\) cannot run inside the migration's transaction/,
  )
  assert.match(
    refused.stderr,
    /hint: add `export const transactional = false` to .*bbb222_m\.ts .*or wrap the call: await op\.autocommit/,
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])

  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport async function upgrade(op) {\n  await op.addColumn('users', { name: 'name', type: 'text' })\n  await op.autocommit(() => op.createIndex('ix_users_email', 'users', ['email'], { concurrently: true }))\n  await op.addColumn('users', { name: 'age', type: 'int' })\n}\n",
  )
  const ok = await project.cli(['upgrade', 'head'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(
    (await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass"))
      .indisvalid,
    true,
  )
  assert.equal(
    (
      await db.one(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('name', 'age')",
      )
    ).n,
    2,
  )
})

test('an interrupted concurrent unique index build leaves an invalid index; running again replaces it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: "CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a'), (2, 'a');",
  })
  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ux_users_email', 'users', ['email'], { unique: true, concurrently: true })\n}\n",
  )
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ERROR 23505/)
  assert.equal(
    (await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_users_email'::regclass"))
      .indisvalid,
    false,
    'PostgreSQL left an invalid index behind',
  )
  await db.query('DELETE FROM users WHERE id = 2')
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal(
    (await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_users_email'::regclass"))
      .indisvalid,
    true,
  )
})

test('an SQL migration run again after an interrupted CONCURRENTLY build rebuilds the invalid index, with IF NOT EXISTS or without, instead of recording it as done', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  await db.query(
    `CREATE SCHEMA app; CREATE TABLE app."Users" (id int, email text, nick text);
     INSERT INTO app."Users" VALUES (1, 'a', 'x'), (2, 'a', 'x')`,
  )
  project.sql('aaa111', {
    header: { transactional: 'false' },
    up: `-- the lookup index
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Users_email_key" ON app."Users" (email);
CREATE UNIQUE INDEX CONCURRENTLY users_nick_key ON "app"."Users" (nick);`,
  })
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ERROR 23505/)
  const valid = async (index: string) =>
    (await db.one('SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)', [index]))?.indisvalid
  assert.equal(await valid('app."Users_email_key"'), false, 'PostgreSQL left an invalid index behind')

  // The duplicates fixed; the second build fails the same way and leaves its own invalid index.
  await db.query(`UPDATE app."Users" SET email = 'b' WHERE id = 2`)
  const second = await project.cli(['upgrade', 'head'])
  assert.equal(second.code, 1)
  assert.match(
    second.stdout + second.stderr,
    /dropped the invalid index Users_email_key an interrupted build left on app\."Users", to build it again/,
  )
  assert.equal(await valid('app."Users_email_key"'), true, 'IF NOT EXISTS did not skip the invalid index')
  assert.equal(await valid('app.users_nick_key'), false)

  await db.query(`UPDATE app."Users" SET nick = 'y' WHERE id = 2`)
  const third = await project.cli(['upgrade', 'head'])
  assert.equal(third.code, 0, third.stderr)
  assert.equal(await valid('app.users_nick_key'), true, 'rebuilt, not refused as already there')
  assert.match((await project.cli(['current'])).stdout, /^aaa111 \(head\)/)
})

test('REINDEX CONCURRENTLY run again after an interruption drops the invalid _ccnew and _ccold copies it left, instead of building _ccnew1 beside them', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  await db.query(
    `CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a'), (2, 'a');
     CREATE INDEX ix_users_email ON users (email); CREATE INDEX ix_users_id ON users (id)`,
  )
  // What an interrupted REINDEX leaves: invalid indexes under PostgreSQL's names for its copies.
  for (const leftover of ['ix_users_email_ccnew', 'ix_users_id_ccold'])
    await assert.rejects(
      db.query(`CREATE UNIQUE INDEX CONCURRENTLY ${leftover} ON users (email)`),
      /could not create unique index/,
    )
  project.sql('aaa111', {
    header: { transactional: 'false' },
    up: 'REINDEX INDEX CONCURRENTLY ix_users_email;\nREINDEX TABLE CONCURRENTLY users;',
  })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(
    result.stdout + result.stderr,
    /dropped the invalid index ix_users_email_ccnew an interrupted REINDEX CONCURRENTLY left, before reindexing again/,
  )
  const indexes = await db.query(
    "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'users'::regclass ORDER BY 1",
  )
  assert.deepEqual(
    indexes.rows.map((row) => `${row.relname}:${row.indisvalid}`),
    ['ix_users_email:true', 'ix_users_id:true'],
  )
})

test('a concurrent build that finished before a later step failed is kept on the re-run; a name taken by another table is refused', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: 'CREATE TABLE users (id int, email text); CREATE TABLE teams (id int, email text); CREATE INDEX ix_taken ON teams (email);',
  })
  const migration = (step: string) =>
    `export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ix_users_email', 'users', ['email'], { concurrently: true })\n  ${step}\n}\n`
  project.ts('bbb222', migration("await op.execute('SELECT 1 / 0')"))
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ERROR 22012/)
  assert.equal(
    (await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass"))
      .indisvalid,
    true,
  )
  project.ts('bbb222', migration("await op.addColumn('users', { name: 'age', type: 'int' })"))
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.match((await project.cli(['current'])).stdout, /^bbb222 \(head\)/)

  project.ts(
    'ccc333',
    "export const revision = 'ccc333'\nexport const downRevision = 'bbb222'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ix_taken', 'users', ['email'], { concurrently: true })\n}\n",
  )
  const clash = await project.cli(['upgrade', 'head'])
  assert.equal(clash.code, 1)
  assert.match(clash.stderr, /createIndex\('ix_taken'\): an index named ix_taken already exists on teams/)
  assert.match(clash.stderr, /hint: give the new index another name/)
})

test('createIndex concurrently on a partitioned table builds partition by partition, and a failed run resumes', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: `CREATE SCHEMA app;
CREATE TABLE app.events (at int NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE app.events_a PARTITION OF app.events FOR VALUES FROM (0) TO (10);
CREATE TABLE app.events_b PARTITION OF app.events FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (at);
CREATE TABLE app.events_b1 PARTITION OF app.events_b FOR VALUES FROM (10) TO (20);
INSERT INTO app.events VALUES (1, 'x'), (1, 'x'), (11, 'y'), (12, 'y');`,
  })
  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ux_events_kind', 'app.events', ['kind', 'at'], { unique: true, concurrently: true })\n  await op.createIndex('ix_events_kind', 'app.events', ['kind'], { concurrently: true })\n}\n",
  )
  const indexes = async () =>
    (
      await db.query(
        `SELECT c.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
          WHERE c.relnamespace = 'app'::regnamespace ORDER BY 1`,
      )
    ).rows.map((row) => `${row.name} ${row.valid ? 'valid' : 'invalid'}`)

  // (x, 1) twice in events_a: that partition's unique build fails.
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /ERROR 23505/, failed.stderr)
  assert.ok((await indexes()).includes('ux_events_kind invalid'), 'the parent index waits for its partitions')

  await db.query('DELETE FROM app.events_a WHERE ctid = (SELECT max(ctid) FROM app.events_a)')
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(await indexes(), [
    'ix_events_kind valid',
    'ix_events_kind_events_a valid',
    'ix_events_kind_events_b valid',
    'ix_events_kind_events_b_events_b1 valid',
    'ux_events_kind valid',
    'ux_events_kind_events_a valid',
    'ux_events_kind_events_b valid',
    'ux_events_kind_events_b_events_b1 valid',
  ])
})

test("createIndex concurrently on a partitioned table attaches a partition's own equivalent index instead of building a second", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE events (at int NOT NULL, kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
    CREATE TABLE events_c PARTITION OF events FOR VALUES FROM (20) TO (30);
    CREATE INDEX events_a_kind_by_hand ON events_a (kind);
    CREATE INDEX events_b_kind_partial ON events_b (kind) WHERE kind IS NOT NULL;
    CREATE UNIQUE INDEX events_c_kind_unique ON events_c (kind)`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ix_events_kind', 'events', ['kind'], { concurrently: true })\n}\n",
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  const members = await db.query(
    `SELECT c.relname AS name FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
      WHERE h.inhparent = 'ix_events_kind'::regclass ORDER BY 1`,
  )
  // events_a's index is the same (kind) btree; the partial and the unique ones are not.
  assert.deepEqual(
    members.rows.map((row) => row.name),
    ['events_a_kind_by_hand', 'ix_events_kind_events_b', 'ix_events_kind_events_c'],
  )
  const parent = await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_events_kind'::regclass")
  assert.equal(parent.indisvalid, true)
  assert.equal((await db.one("SELECT to_regclass('ix_events_kind_events_a') AS r")).r, null)
})
