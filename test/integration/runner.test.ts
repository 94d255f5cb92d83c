import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import pg from 'pg'
import { loadConfig } from '../../src/config/load-config.js'
import { acquireDeployLock, migrationLockKey } from '../../src/db/advisory-lock.js'
import { connect, toClientConfig } from '../../src/db/connect.js'
import { upgrade } from '../../src/runner/migrate.js'
import { createTestDatabase, createTestRole, type TestDatabase, urlOf } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'

function chain(project: TestProject, count: number, statement: (index: number) => string): string[] {
  const revisions: string[] = []
  for (let index = 0; index < count; index++) {
    const revision = `r${String(index).padStart(3, '0')}`
    project.sql(revision, {
      down: index === 0 ? null : revisions[index - 1]!,
      up: statement(index),
      downSql: `DROP TABLE IF EXISTS t${index};`,
    })
    revisions.push(revision)
  }
  return revisions
}

test('eight processes upgrading at the same moment apply each migration exactly once', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  chain(project, 6, (index) => `CREATE TABLE t${index} (id int); SELECT pg_sleep(0.1);`)
  const results = await Promise.all(Array.from({ length: 8 }, () => project.cli(['upgrade', 'head'])))
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const applied = await db.query(
    "SELECT revision, count(*)::int AS n FROM strata_history WHERE direction = 'up' GROUP BY revision ORDER BY revision",
  )
  assert.deepEqual(
    applied.rows.map((row) => `${row.revision}:${row.n}`),
    ['r000:1', 'r001:1', 'r002:1', 'r003:1', 'r004:1', 'r005:1'],
  )
  assert.equal(results.filter((result) => /already at head/.test(result.stdout)).length, 7)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'r005' },
  ])
})

test('a migration failing half-way leaves no partial change and the version row as it was', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE kept (id int);', downSql: 'DROP TABLE kept;' })
  project.sql('bbb222', {
    down: 'aaa111',
    message: 'half way',
    up: 'CREATE TABLE partially_created_table (id int);\nINSERT INTO partially_created_table VALUES (1);\nINSERT INTO partially_created_table (id, nope) VALUES (2, 2);',
  })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /error: upgrade bbb222 \(half way\) failed: ERROR 42703: column "nope" of relation "partially_created_table" does not exist/,
  )
  assert.match(
    result.stderr,
    /statement at .*bbb222_m\.sql:7 \(line 7, column 42\): INSERT INTO partially_created_table \(id, nope\)/,
  )
  assert.match(result.stderr, /rolled back: bbb222 left no change; the database stays at aaa111/)
  assert.equal((await db.one("SELECT to_regclass('partially_created_table') AS t")).t, null)
  assert.notEqual(
    (await db.one("SELECT to_regclass('kept') AS t")).t,
    null,
    'the earlier migration stays applied',
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])
  const failed = await db.one("SELECT outcome, error FROM strata_history WHERE revision = 'bbb222'")
  assert.deepEqual(failed, {
    outcome: 'failed',
    error: '42703 column "nope" of relation "partially_created_table" does not exist',
  })
})

test('--single-transaction rolls the whole run back', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE first_t (id int);' })
  project.sql('bbb222', { down: 'aaa111', up: 'SELECT * FROM nowhere;' })
  const result = await project.cli(['upgrade', 'head', '--single-transaction'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /the whole run was one transaction/)
  assert.equal((await db.one("SELECT to_regclass('first_t') AS t")).t, null)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM alembic_version')).n, 0)
})

test('--single-transaction writes the version table once, with the rows Alembic leaves, and a history row per migration', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  // A diamond: two branches and their merge, then one more step.
  project.sql('aaa111', { up: 'CREATE TABLE a_t (id int);' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b_t (id int);' })
  project.sql('ccc333', { down: 'aaa111', up: 'CREATE TABLE c_t (id int);' })
  project.sql('ddd444', {
    down: ['bbb222', 'ccc333'],
    up: 'CREATE TABLE d_t (id int);',
    downSql: 'DROP TABLE d_t;',
  })
  project.sql('eee555', { down: 'ddd444', up: 'CREATE TABLE e_t (id int);' })
  const rows = async () =>
    (await db.query('SELECT version_num FROM alembic_version ORDER BY 1')).rows.map((row) => row.version_num)
  const up = await project.cli(['upgrade', 'ddd444', '--single-transaction'])
  assert.equal(up.code, 0, up.stderr)
  assert.deepEqual(await rows(), ['ddd444'])
  const history = await db.query(
    "SELECT revision, outcome FROM strata_history WHERE direction = 'up' ORDER BY id",
  )
  assert.deepEqual(
    history.rows.map((row) => `${row.revision} ${row.outcome}`),
    ['aaa111 success', 'bbb222 success', 'ccc333 success', 'ddd444 success'],
  )
  // Down through the merge leaves both branch heads; then on from a row mid-graph.
  const down = await project.cli(['downgrade', 'ddd444-1', '--single-transaction'])
  assert.equal(down.code, 0, down.stderr)
  assert.deepEqual(await rows(), ['bbb222', 'ccc333'])
  const again = await project.cli(['upgrade', 'head', '--single-transaction'])
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(await rows(), ['eee555'])
  assert.equal((await project.cli(['current'])).stdout.includes('eee555'), true)
})

test('a non-transactional migration runs outside a transaction and reports exactly what ran when it fails', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE users (id int, email text);' })
  project.sql('bbb222', {
    down: 'aaa111',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
    downSql: 'DROP INDEX CONCURRENTLY ix_users_email;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  assert.equal(
    (await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass"))
      .indisvalid,
    true,
  )
  project.sql('ccc333', {
    down: 'bbb222',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_users_id ON users (id);\nCREATE INDEX CONCURRENTLY ix_bad ON users (nope);',
  })
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(
    failed.stderr,
    /ccc333 is non-transactional, so what ran before the failure stays: 1 statement\(s\) completed: CREATE INDEX CONCURRENTLY ix_users_id/,
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'bbb222' },
  ])
})

test('a database whose version table Alembic created is adopted as it is', async (t) => {
  const db = await createTestDatabase(t)
  // Exactly what Alembic 1.8 creates and writes.
  await db.query(
    'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
  )
  await db.query("INSERT INTO alembic_version (version_num) VALUES ('bbb222')")
  await db.query('CREATE TABLE a (id int); CREATE TABLE b (id int)')
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b (id int);', downSql: 'DROP TABLE b;' })
  project.sql('ccc333', { down: 'bbb222', up: 'CREATE TABLE c (id int);', downSql: 'DROP TABLE c;' })
  assert.equal((await project.cli(['current'])).stdout, 'bbb222\n')
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /Running upgrade bbb222 -> ccc333/)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'ccc333' },
  ])
  const constraint = await db.one(
    "SELECT conname FROM pg_constraint WHERE conrelid = 'alembic_version'::regclass",
  )
  assert.equal(constraint.conname, 'alembic_version_pkc')
})

test("an Alembic version table in another schema of the search_path is named, not taken for an unmigrated database; the config's versionTableSchema adopts it", async (t) => {
  const db = await createTestDatabase(t)
  // Alembic without version_table_schema, under search_path app, public: its table is app's.
  await db.query(`CREATE SCHEMA app; ALTER DATABASE "${db.name}" SET search_path = app, public`)
  await db.query(
    "CREATE TABLE app.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO app.alembic_version VALUES ('aaa111'); CREATE TABLE app.a (id int)",
  )
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b (id int);', downSql: 'DROP TABLE b;' })
  const refused =
    /^error: the version table public\.alembic_version is missing or empty, but app\.alembic_version holds aaa111: this database's revisions are in schema app, on its search_path \(app, public\), .*Nothing was changed\n {2}hint: set migrations\.versionTableSchema: 'app' in the Strata config/m
  for (const args of [['current'], ['upgrade', 'head'], ['stamp', 'head']]) {
    const result = await project.cli(args)
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, refused)
  }
  // doctor and health say it on their line for it, with the fix.
  const doctor = await project.cli(['doctor'])
  assert.equal(doctor.code, 1)
  assert.match(doctor.stdout, /✓ Database reachable/)
  assert.match(
    doctor.stdout,
    /✗ Migrations load — the version table public\.alembic_version is missing or empty.*\n {4}set migrations\.versionTableSchema: 'app'/,
  )
  const health = await project.cli(['health'])
  assert.match(
    health.stdout,
    /✗ Database at head — could not be checked: the version table .*\n {4}set migrations\.versionTableSchema: 'app'/,
  )
  const publicTables = await db.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('alembic_version', 'strata_history')",
  )
  assert.deepEqual(publicTables.rows, [], 'nothing made in public')
  assert.deepEqual((await db.query('SELECT version_num FROM app.alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])

  const adopted = testProject(t, db, { migrations: { versionTableSchema: 'app' } })
  adopted.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  adopted.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b (id int);', downSql: 'DROP TABLE b;' })
  const up = await adopted.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /Running upgrade aaa111 -> bbb222/)
  assert.deepEqual((await db.query('SELECT version_num FROM app.alembic_version')).rows, [
    { version_num: 'bbb222' },
  ])
  // Named explicitly, public is kept to: the other table is left to whoever owns it.
  const own = testProject(t, db, { migrations: { versionTableSchema: 'public' } })
  const ownCurrent = await own.cli(['current'])
  assert.equal(ownCurrent.code, 0, ownCurrent.stderr)
  assert.match(ownCurrent.stdout + ownCurrent.stderr, /\(base\)/)
})

test("a version table name that is an application's table is refused as such, not with a bare 'column version_num does not exist'", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    "CREATE TABLE migrations (id int PRIMARY KEY, name text); INSERT INTO migrations VALUES (1, 'x')",
  )
  const project = testProject(t, db, { migrations: { versionTable: 'migrations' } })
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  for (const args of [['current'], ['upgrade', 'head']]) {
    const result = await project.cli(args)
    assert.equal(result.code, 2, result.stderr)
    assert.match(
      result.stderr,
      /^error: public\.migrations is not a version table of Strata or Alembic: column "version_num" does not exist\. It is another table of that name; nothing was changed\n {2}hint: give migrations\.versionTable a name no other table has/,
    )
    assert.doesNotMatch(result.stderr, /--debug/)
  }
  assert.equal((await db.one("SELECT to_regclass('a') AS a")).a, null)
  assert.deepEqual((await db.query('SELECT * FROM migrations')).rows, [{ id: 1, name: 'x' }])
})

test("a role that may not create tables in the schema migrates once the owner made Strata's tables, and is told how otherwise", async (t) => {
  const db = await createTestDatabase(t)
  const role = await createTestRole(t, { prefix: 'migrator' })
  await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role.name}`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: "UPDATE settings SET value = 'on';", downSql: 'SELECT 1;' })
  const asRole = { DATABASE_URL: urlOf({ ...db.spec, user: role.name, password: role.password }) }
  await db.query('CREATE TABLE settings (value text); INSERT INTO settings VALUES (NULL)')
  await db.query(`GRANT SELECT, UPDATE ON settings TO ${role.name}`)

  const refused = await project.cli(['upgrade', 'head'], asRole)
  assert.equal(refused.code, 1, refused.stderr)
  assert.match(
    refused.stderr,
    new RegExp(
      `${role.name} may not create Strata's tables public\\.alembic_version and public\\.strata_history \\(where missing\\): permission denied for schema public\\. Nothing was changed`,
    ),
  )
  assert.match(refused.stderr, new RegExp(`hint: .*GRANT CREATE ON SCHEMA public TO ${role.name}`))

  // The owner creates them (a stamp of nothing does); the role, with the data rights, migrates.
  assert.equal((await project.cli(['stamp', 'base'])).code, 0)
  // Without rights on them: which table, whose, and the GRANT to ask its owner for.
  const owner = (await db.one('SELECT current_user AS name')).name
  const unread = await project.cli(['current'], asRole)
  assert.equal(unread.code, 1)
  assert.equal(
    unread.stderr,
    `error: ${role.name} may not read the version table public.alembic_version, which ${owner} owns\n  hint: as ${owner} (or a superuser): GRANT SELECT, INSERT, UPDATE, DELETE ON public.alembic_version TO ${role.name} (SELECT alone serves current, history and check; migrating writes it); strata upgrade names any grant still missing before it changes anything. Or connect as ${owner}\n`,
  )
  // Some rights granted: the upgrade names exactly those still missing, before it runs anything.
  await db.query(
    `GRANT SELECT, INSERT, UPDATE ON alembic_version TO ${role.name}; GRANT SELECT ON strata_history TO ${role.name}`,
  )
  const partly = await project.cli(['upgrade', 'head'], asRole)
  assert.equal(partly.code, 1, partly.stderr)
  assert.match(
    partly.stderr,
    new RegExp(
      `^error: ${role.name} may not use Strata's tables, which ${owner} made: it lacks DELETE ON public\\.alembic_version; INSERT ON public\\.strata_history; USAGE ON SEQUENCE public\\.strata_history_id_seq\\. Nothing was changed\n {2}hint: as ${owner} \\(or a superuser\\): GRANT DELETE ON public\\.alembic_version TO ${role.name}; GRANT INSERT ON public\\.strata_history TO ${role.name}; GRANT USAGE ON SEQUENCE public\\.strata_history_id_seq TO ${role.name}; or run the migrations as ${owner}\n$`,
    ),
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [])
  assert.equal((await db.one('SELECT value FROM settings')).value, null)
  await db.query(
    `GRANT DELETE ON alembic_version TO ${role.name}; GRANT INSERT ON strata_history TO ${role.name}; GRANT USAGE ON SEQUENCE strata_history_id_seq TO ${role.name}`,
  )
  const migrated = await project.cli(['upgrade', 'head'], asRole)
  assert.equal(migrated.code, 0, migrated.stderr)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])
})

test("a migration changing a table another role owns fails with that owner, the op call's line and the ALTER ... OWNER or GRANT that fixes it", async (t) => {
  const db = await createTestDatabase(t)
  const tableOwner = await createTestRole(t, { prefix: 'owner' })
  const migrator = await createTestRole(t, { prefix: 'app' })
  await db.query(`GRANT CREATE ON SCHEMA public TO ${tableOwner.name}, ${migrator.name}`)
  await db.query(`CREATE TABLE users (id int); ALTER TABLE users OWNER TO ${tableOwner.name}`)
  await db.query(`GRANT SELECT, UPDATE ON users TO ${migrator.name}`)
  await db.query(`CREATE TABLE audit (id int); GRANT SELECT ON audit TO ${migrator.name}`)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    `export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op) {
  await op.addColumn('users', { name: 'nickname', type: 'text' })
}
export async function downgrade(op) {
  await op.dropColumn('users', 'nickname')
}
`,
  )
  project.sql('bbb222', { down: 'aaa111', up: 'DELETE FROM audit WHERE id < 0;', downSql: 'SELECT 1;' })
  const asMigrator = { DATABASE_URL: urlOf({ ...db.spec, user: migrator.name, password: migrator.password }) }

  const notOwner = await project.cli(['upgrade', 'head'], asMigrator)
  assert.equal(notOwner.code, 1, notOwner.stderr)
  assert.match(notOwner.stderr, /ERROR 42501: must be owner of table users/)
  assert.match(
    notOwner.stderr,
    /statement at .*aaa111_m\.ts:4 \(rendered by the op call there\): ALTER TABLE "users" ADD COLUMN "nickname" text/,
  )
  assert.match(
    notOwner.stderr,
    new RegExp(
      `hint: public\\.users is owned by ${tableOwner.name}, and ${migrator.name}, the role running the migration, is not its owner: .* Run the migrations as ${tableOwner.name} .*, or, as ${tableOwner.name}: ALTER TABLE public\\.users OWNER TO ${migrator.name}, or GRANT ${tableOwner.name} TO ${migrator.name} `,
    ),
  )

  // The suggested membership is enough; the next migration lacks a table privilege.
  await db.query(`GRANT ${tableOwner.name} TO ${migrator.name}`)
  const noDelete = await project.cli(['upgrade', 'head'], asMigrator)
  assert.equal(noDelete.code, 1, noDelete.stderr)
  assert.match(
    noDelete.stderr,
    /upgrade bbb222 \(migration bbb222\) failed: ERROR 42501: permission denied for table audit/,
  )
  const superuser = (await db.one('SELECT current_user AS name')).name
  assert.match(
    noDelete.stderr,
    new RegExp(
      `hint: ${migrator.name}, the role running the migration, lacks DELETE on public\\.audit \\(owned by ${superuser}\\): as ${superuser}, GRANT DELETE ON public\\.audit TO ${migrator.name}; or run the migrations as ${superuser}\n`,
    ),
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])

  // A schema it may use but not create in.
  await db.query(
    `GRANT DELETE ON audit TO ${migrator.name}; CREATE SCHEMA reports; GRANT USAGE ON SCHEMA reports TO ${migrator.name}`,
  )
  project.sql('ccc333', {
    down: 'bbb222',
    up: 'CREATE TABLE reports.daily (day date);',
    downSql: 'DROP TABLE reports.daily;',
  })
  const noCreate = await project.cli(['upgrade', 'head'], asMigrator)
  assert.equal(noCreate.code, 1, noCreate.stderr)
  assert.match(
    noCreate.stderr,
    new RegExp(
      `hint: ${migrator.name}, the role running the migration, may not create in schema reports \\(owned by ${superuser}\\)\\. As ${superuser}: GRANT CREATE ON SCHEMA reports TO ${migrator.name}; or run the migrations as ${superuser}\n`,
    ),
  )
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'bbb222' },
  ])
})

test('a session that cannot write (default_transaction_read_only) is refused before any migration runs, with the fix', async (t) => {
  const db = await createTestDatabase(t)
  const role = await createTestRole(t, { prefix: 'readonly' })
  await db.query(`GRANT CREATE ON SCHEMA public TO ${role.name}`)
  await db.query(`ALTER ROLE ${role.name} IN DATABASE ${db.name} SET default_transaction_read_only = on`)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  const asRole = { DATABASE_URL: urlOf({ ...db.spec, user: role.name, password: role.password }) }
  const expected = new RegExp(
    `^error: sessions of ${role.name} on ${db.name} at 127\\.0\\.0\\.1:\\d+ are read-only \\(default_transaction_read_only is on\\): migrations write\\. Nothing was changed\\n {2}hint: .*ALTER ROLE ${role.name} IN DATABASE ${db.name} SET default_transaction_read_only = off`,
  )
  // Strata's tables missing (their creation is what fails) or present (nothing fails yet).
  const missing = await project.cli(['upgrade', 'head'], asRole)
  assert.equal(missing.code, 2, missing.stderr)
  assert.match(missing.stderr, expected)
  assert.equal((await project.cli(['stamp', 'base'])).code, 0)
  await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON alembic_version, strata_history TO ${role.name}`)
  const present = await project.cli(['upgrade', 'head'], asRole)
  assert.equal(present.code, 2, present.stderr)
  assert.match(present.stderr, expected)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [])
})

test('a revision in the database that no file defines is named; stamp --purge resets it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.sql('bbb222', { down: 'aaa111', up: 'SELECT 2;' })
  await db.query(
    'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
  )
  await db.query("INSERT INTO alembic_version VALUES ('deadbeef0000')")
  const current = await project.cli(['current'])
  assert.match(current.stdout, /deadbeef0000 \(unknown: no migration file defines it\)/)
  // Not "2 pending: upgrade head applies them": upgrade would refuse.
  assert.doesNotMatch(current.stderr, /pending/)
  assert.match(
    current.stderr,
    /`strata stamp <revision> --purge` with the revision the schema is really at\n/,
  )
  // strata_history knows where the database was when its row was lost.
  await db.query('DELETE FROM alembic_version')
  assert.equal((await project.cli(['upgrade', 'aaa111'])).code, 0)
  await db.query("UPDATE alembic_version SET version_num = 'deadbeef0000'")
  assert.match(
    (await project.cli(['current'])).stderr,
    /`strata stamp aaa111 --purge` with the revision the schema is really at \(strata_history: aaa111 was the last one applied\)/,
  )
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 2)
  assert.match(up.stderr, /the database is at revision deadbeef0000, which no migration file defines/)
  assert.equal((await project.cli(['stamp', 'aaa111', '--purge'])).code, 0)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'aaa111' },
  ])
})

test('editing an applied migration is reported by current and upgrade', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  const file = project.sql('aaa111', { up: 'CREATE TABLE a (id int);' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  writeFileSync(file, `${readFile(file)}\n-- edited later\n`)
  const current = await project.cli(['current'])
  assert.match(
    current.stderr,
    /warning: aaa111 was edited after it was applied \(.*aaa111_m\.sql: sha256 [0-9a-f]{12} now, [0-9a-f]{12} when applied\)/,
  )
  project.sql('bbb222', { down: 'aaa111', up: 'SELECT 1;' })
  assert.match(
    (await project.cli(['upgrade', 'head'])).stderr,
    /warning: aaa111 was edited after it was applied/,
  )
})

test('the same migration checked out with Windows or Unix line endings is not an edit, whichever was applied', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  const crlf = (file: string) => writeFileSync(file, readFile(file).replace(/\r?\n/g, '\r\n'))
  const lf = (file: string) => writeFileSync(file, readFile(file).replace(/\r\n/g, '\n'))
  // Applied from a CRLF checkout (core.autocrlf on Windows), then read from an LF one.
  const first = project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  crlf(first)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  lf(first)
  // And the other way round.
  const second = project.sql('bbb222', {
    down: 'aaa111',
    up: 'CREATE TABLE b (id int);',
    downSql: 'DROP TABLE b;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  crlf(second)
  const current = await project.cli(['current'])
  assert.equal(current.code, 0, current.stderr)
  assert.equal(current.stdout, 'bbb222 (head)\n')
  assert.doesNotMatch(current.stderr, /edited/)
  // A checksum recorded from the bytes of a CRLF file (as Strata recorded it before) still matches.
  const bytes = createHash('sha256').update(readFileSync(second)).digest('hex')
  await db.query("UPDATE strata_history SET checksum = $1 WHERE revision = 'bbb222'", [bytes])
  assert.doesNotMatch((await project.cli(['current'])).stderr, /edited/)
  // A real edit still is one.
  writeFileSync(second, `${readFile(second)}-- edited later\r\n`)
  assert.match((await project.cli(['current'])).stderr, /warning: bbb222 was edited after it was applied/)
})

test('an enum value used in the transaction that adds it fails with how to split the migration', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    "CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE people (id int, mood mood); INSERT INTO people VALUES (1, NULL)",
  )
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET mood = 'meh' WHERE mood IS NULL;",
    downSql: 'SELECT 1;',
  })
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /ERROR 55P04: unsafe use of new value "meh" of enum type mood/)
  assert.match(
    failed.stderr,
    /hint: a new enum value can be used only once the transaction that added it has committed: add the value in a migration of its own/,
  )
  const checked = await project.cli(['check', '--offline'])
  assert.match(
    checked.stdout,
    /error {4}enum-value-in-transaction {2}line 6 {2}uses enum value 'meh', which line 5 adds in the same transaction/,
  )
})

function readFile(file: string): string {
  return readFileSync(file, 'utf8')
}

test('a second migrator waits for the lock, says who holds it, and gives up after lockWaitTimeout', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db, { migrations: { lockWaitTimeout: 1 } })
  project.sql('aaa111', { up: 'SELECT 1;' })
  const holder = new pg.Client({ ...toClientConfig(db.spec, false), application_name: 'other-deployer' })
  holder.on('error', () => undefined)
  await holder.connect()
  await holder.query('SELECT pg_advisory_lock($1::bigint)', [
    migrationLockKey({ schema: 'public', name: 'alembic_version' }),
  ])
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /waiting for another migrator: pid \d+ \(other-deployer, user postgres, from 127\.0\.0\.1/,
  )
  assert.match(
    result.stderr,
    /error: another migrator still holds the migration lock after \d+s: pid \d+ \(other-deployer/,
  )
  assert.match(result.stderr, /strata diagnose blocking/)
  assert.equal((await db.one("SELECT to_regclass('alembic_version') AS t")).t, null)
  await holder.end()
})

test("a server that ends idle sessions (idle_session_timeout) does not end the session holding a lock: a deploy's sits idle for minutes", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`ALTER DATABASE "${db.name}" SET idle_session_timeout = '300ms'`)
  const holder = await connect(db.spec)
  t.after(() => holder.close())
  const table = { schema: 'public', name: 'alembic_version' }
  const lock = await acquireDeployLock(holder.client, db.name, table, { waitSeconds: 1 })
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const held = await db.one(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1",
    [lock.pid],
  )
  assert.equal(held.n, 1, 'the lock outlives four idle timeouts')
  assert.equal((await holder.client.query('SELECT 1 AS one')).rows[0].one, 1)
  // Other sessions keep the database's setting: only Strata's lock session is spared.
  const other = await connect(db.spec)
  await new Promise((resolve) => setTimeout(resolve, 700))
  await assert.rejects(
    other.client.query('SELECT 1'),
    /idle-session timeout|Connection terminated|not queryable/,
  )
  await other.close()
  await lock.release()
})

test('a migration of 200,000 statements runs (it failed on "Maximum call stack size exceeded" after committing); a failure of Strata after the commit says the step committed', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('big111', {
    up: `CREATE TABLE seeded (id int);\n${Array.from({ length: 200_000 }, (_, i) => `INSERT INTO seeded VALUES (${i});`).join('\n')}`,
    downSql: 'DROP TABLE seeded;',
  })
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM seeded')).n, 200_000)
  assert.deepEqual((await db.query('SELECT outcome FROM strata_history')).rows, [{ outcome: 'success' }])
  // The offline script of it too (it failed the same way while writing its lines).
  const offline = await project.cli(['upgrade', 'base:big111', '--sql'])
  assert.equal(offline.code, 0, offline.stderr)
  assert.equal(offline.stdout.match(/^INSERT INTO seeded VALUES/gm)?.length, 200_000)

  // Strata's own code failing once the server has answered (here a library caller's
  // progress callback): the step committed, and that is what the error says.
  project.sql('ccc333', { down: 'big111', up: 'CREATE TABLE later (id int);', downSql: 'DROP TABLE later;' })
  const config = await loadConfig({ cwd: project.dir })
  const failing = upgrade({
    config,
    spec: db.spec,
    onStep: (event) => {
      if (event.kind === 'done') throw new Error('the caller broke')
    },
  })
  await assert.rejects(failing, (error: Error) => {
    assert.match(
      error.message,
      /^upgrade ccc333 \(migration ccc333\): the server committed it, then Strata failed: the caller broke\. The database is at ccc333: ccc333 needs no second run$/,
    )
    return true
  })
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'ccc333' },
  ])
  assert.deepEqual(
    (await db.query("SELECT outcome FROM strata_history WHERE revision = 'ccc333'")).rows,
    [{ outcome: 'success' }],
    'no failed row over the successful one',
  )
})

async function schemaFingerprint(db: TestDatabase): Promise<string> {
  const columns = await db.query(
    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'strata_history' ORDER BY 1, 2",
  )
  const indexes = await db.query(
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
  )
  const versions = await db.query('SELECT version_num FROM alembic_version ORDER BY 1')
  const history = await db.query(
    'SELECT revision, direction, outcome, checksum FROM strata_history ORDER BY id',
  )
  return JSON.stringify([columns.rows, indexes.rows, versions.rows, history.rows])
}

test('the offline --sql script, run through psql, gives the same database as the online upgrade', async (t) => {
  const online = await createTestDatabase(t)
  const offline = await createTestDatabase(t)
  const project = testProject(t, online)
  project.sql('aaa111', {
    up: "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL DEFAULT 'x;y');",
    downSql: 'DROP TABLE users;',
  })
  project.sql('bbb222', {
    down: 'aaa111',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_email ON users (email);',
    downSql: 'DROP INDEX ix_email;',
  })
  project.sql('ccc333', {
    down: 'bbb222',
    up: "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;",
    downSql: 'DROP FUNCTION f();',
  })
  project.ts(
    'ddd444',
    "export const revision = 'ddd444'\nexport const downRevision = 'ccc333'\nexport async function upgrade(op) { await op.execute('INSERT INTO users VALUES ($1, $2)', [1, \"o'neil@example.com\"]) }\nexport async function downgrade(op) { await op.execute('DELETE FROM users WHERE id = $1', [1]) }\n",
  )
  const script = await project.cli(['upgrade', 'head', '--sql'], {
    DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
  })
  assert.equal(script.code, 0, script.stderr)
  assert.match(script.stdout, /-- Running upgrade aaa111 -> bbb222/)
  assert.match(script.stdout, /INSERT INTO users VALUES \(1, 'o''neil@example\.com'\);/)
  // Nothing in the upgrade destroys data: no warning in its header.
  assert.doesNotMatch(script.stdout, /WARNING/)
  runWithPsql(offline.url, script.stdout)

  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  assert.equal(await schemaFingerprint(offline), await schemaFingerprint(online))

  // And back down: the offline downgrade script equals the online downgrade.
  const downScript = await project.cli(['downgrade', 'head:base', '--sql'])
  assert.equal(downScript.code, 0, downScript.stderr)
  // A script cannot look at the data: its header says what the steps destroy and how to keep it.
  assert.match(
    downScript.stdout,
    /^-- WARNING: these steps destroy data, where there is any: .*table users \(aaa111\)\.$/m,
  )
  assert.match(downScript.stdout, /^-- {3}strata backup -t users$/m)
  runWithPsql(offline.url, downScript.stdout)
  assert.equal((await project.cli(['downgrade', 'base', '--no-backup'])).code, 0)
  assert.equal(await schemaFingerprint(offline), await schemaFingerprint(online))
})

test('stamp --sql writes what the online stamp does, for psql; run against the wrong starting point it changes nothing', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b (id int);', downSql: 'DROP TABLE b;' })
  const nowhere = { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' }
  const versions = async () =>
    (await db.query('SELECT version_num FROM alembic_version ORDER BY 1')).rows.map((row) => row.version_num)

  const head = await project.cli(['stamp', 'head', '--sql'], nowhere)
  assert.equal(head.code, 0, head.stderr)
  assert.match(head.stdout, /^-- Strata \S+ offline stamp: base -> bbb222 \(no migration runs\)$/m)
  runWithPsql(db.url, head.stdout)
  assert.deepEqual(await versions(), ['bbb222'])
  // The same script again: its INSERT meets the row already there, and psql stops.
  assert.throws(() => runWithPsql(db.url, head.stdout), /duplicate key value/)
  // A stamp down from a named starting point; then to base, recorded in the history.
  runWithPsql(db.url, (await project.cli(['stamp', 'bbb222:head-1', '--sql'], nowhere)).stdout)
  assert.deepEqual(await versions(), ['aaa111'])
  const toBase = await project.cli(['stamp', 'aaa111:base', '--sql'], nowhere)
  assert.throws(() => runWithPsql(db.url, toBase.stdout.replaceAll("'aaa111'", "'zzz999'")), /null value/)
  assert.deepEqual(await versions(), ['aaa111'])
  runWithPsql(db.url, toBase.stdout)
  assert.deepEqual(await versions(), [])
  const history = await db.query(
    "SELECT revision, message FROM strata_history WHERE direction = 'stamp' ORDER BY id",
  )
  assert.deepEqual(
    history.rows.map((row) => `${row.revision}: ${row.message}`),
    ['bbb222: migration bbb222', 'aaa111: migration aaa111', 'base: stamped off aaa111'],
  )
  const purge = await project.cli(['stamp', 'aaa111:head', '--sql', '--purge'], nowhere)
  assert.equal(purge.code, 2)
  assert.match(purge.stderr, /--purge empties the version table whatever it holds: a FROM is not needed/)
})

test('offline mode refuses what it cannot know', async (t) => {
  const project = testProject(t)
  project.ts(
    'aaa111',
    "export const revision = 'aaa111'\nexport async function upgrade(op) { const rows = await op.query('SELECT 1'); }\n",
  )
  const result = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /migration aaa111 reads query results \(op\.query\), which offline --sql mode cannot know/,
  )
  const downgrade = await project.cli(['downgrade', 'base', '--sql'])
  assert.equal(downgrade.code, 2)
  assert.match(downgrade.stderr, /an offline downgrade needs the starting revision: FROM:TO/)
})

test('offline scripts keep to the phase: --phase expand leaves the contract drops out, --phase contract FROM:TO writes them', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t)
  project.sql('aaa111', {
    up: 'CREATE TABLE users (id int PRIMARY KEY, old_email text);',
    downSql: 'DROP TABLE users;',
  })
  project.sql('bbb222', {
    down: 'aaa111',
    up: 'ALTER TABLE users ADD COLUMN email text;',
    downSql: 'ALTER TABLE users DROP COLUMN email;',
  })
  project.sql('ccc333', {
    down: 'bbb222',
    message: 'drop old_email',
    header: { phase: 'contract' },
    up: 'ALTER TABLE users DROP COLUMN old_email;',
    downSql: 'ALTER TABLE users ADD COLUMN old_email text;',
  })
  const expand = await project.cli(['upgrade', 'head', '--sql', '--phase', 'expand'])
  assert.equal(expand.code, 0, expand.stderr)
  assert.doesNotMatch(expand.stdout, /DROP COLUMN old_email/)
  assert.match(
    expand.stdout,
    /^-- Not in this script \(phase expand\): 1 migration waits for --phase contract, starting with ccc333 \(drop old_email\)/m,
  )
  assert.match(
    expand.stderr,
    /not in the script: 1 migration waits for --phase contract, starting with ccc333/,
  )
  runWithPsql(database.url, expand.stdout)
  assert.deepEqual(await columnsOf(database, 'users'), ['id', 'old_email', 'email'])
  assert.equal((await database.one('SELECT version_num FROM alembic_version')).version_num, 'bbb222')

  // From the base, the expand migrations come first: refused, as online.
  const early = await project.cli(['upgrade', 'head', '--sql', '--phase', 'contract'])
  assert.equal(early.code, 2)
  assert.match(
    early.stderr,
    /--phase contract: 2 migrations before the first contract migration ccc333 are not applied yet/,
  )
  const contract = await project.cli(['upgrade', 'bbb222:head', '--sql', '--phase', 'contract'])
  assert.equal(contract.code, 0, contract.stderr)
  runWithPsql(database.url, contract.stdout)
  assert.deepEqual(await columnsOf(database, 'users'), ['id', 'email'])

  // A backup cannot be taken by a script that never connects: said, not skipped.
  const backup = await project.cli(['upgrade', 'head', '--sql', '--backup'])
  assert.equal(backup.code, 2)
  assert.match(
    backup.stderr,
    /--backup needs the database, and --sql writes a script without connecting to it/,
  )
  assert.equal(backup.stdout, '')
  // FROM above TO is a downgrade: the upgrade script runs nothing, and says so.
  const backwards = await project.cli(['upgrade', 'head:aaa111', '--sql'])
  assert.equal(backwards.code, 0, backwards.stderr)
  assert.match(
    backwards.stdout,
    /^-- Nothing to run: already past aaa111 \(at ccc333\): nothing to upgrade;/m,
  )
  assert.match(backwards.stderr, /the script runs no migration: already past aaa111/)
})

async function columnsOf(database: TestDatabase, table: string): Promise<string[]> {
  const result = await database.query<{ name: string }>(
    'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [table],
  )
  return result.rows.map((row) => row.name)
}

test('a TypeScript migration written with no import at all runs; -x arguments reach it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    "export const revision = 'aaa111'\nexport const downRevision: string | null = null\ninterface Op { execute(sql: string, params?: unknown[]): Promise<void>; args: Record<string, string> }\nexport async function upgrade(op: Op) {\n  await op.execute('CREATE TABLE tenant_marker (name text)')\n  await op.execute('INSERT INTO tenant_marker VALUES ($1)', [op.args.tenant])\n}\n",
  )
  const result = await project.cli(['upgrade', 'head', '-x', 'tenant=acme'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal((await db.one('SELECT name FROM tenant_marker')).name, 'acme')
  const bad = await project.cli(['upgrade', 'head', '-x', 'novalue'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /-x expects KEY=VALUE, got "novalue"/)
})
