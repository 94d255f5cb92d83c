import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { test } from 'node:test'
import { connect } from '../../src/db/connect.js'
import { withDatabase } from '../../src/db/connection-spec.js'
import {
  createScratchDatabase,
  dropOnAbruptExit,
  dropScratchDatabasesLeft,
  scratchName,
} from '../../src/db/scratch-database.js'
import { runCli } from '../helpers/cli.js'
import { createTestDatabase, createTestRole, urlOf } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'

/** Migrations with each kind of downgrade a person writes: right, forgetful, missing, broken. */
function writeMigrations(project: TestProject): void {
  project.sql('a1', {
    message: 'users',
    up: 'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL); CREATE INDEX users_email_idx ON users (email);',
    downSql: 'DROP TABLE users;',
  })
  project.sql('a2', {
    down: 'a1',
    message: 'mood',
    up: "CREATE TYPE mood AS ENUM ('calm'); ALTER TABLE users ADD COLUMN mood mood;",
    // Forgets the type.
    downSql: 'ALTER TABLE users DROP COLUMN mood;',
  })
  project.sql('a3', {
    down: 'a2',
    message: 'seed',
    header: { 'strata:allow missing-downgrade': 'seed rows stay' },
    up: "INSERT INTO users (email) VALUES ('root@example.com');",
  })
  project.sql('a4', {
    down: 'a3',
    message: 'orders',
    up: 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);',
    downSql: 'DROP TABLE order;',
  })
  project.sql('a5', {
    down: 'a4',
    message: 'total',
    up: 'ALTER TABLE orders ADD COLUMN total numeric NOT NULL DEFAULT 0;',
    downSql: 'ALTER TABLE orders DROP COLUMN total;',
  })
  project.sql('a6', {
    down: 'a5',
    message: 'nothing up, too much down',
    up: 'SELECT 1;',
    // Drops what an earlier migration made.
    downSql: 'DROP INDEX users_email_idx;',
  })
}

test('rehearse runs each migration up, down and up on a scratch database and names every downgrade that does not restore the schema', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeMigrations(project)

  const result = await project.cli(['rehearse'])
  assert.equal(result.code, 1, result.stderr)
  const lines = result.stdout.split('\n')
  assert.match(lines[0]!, /^✓ a1 {2}users {2}up \d+ms → down \d+ms → up \d+ms$/)
  assert.match(
    result.stdout,
    /✗ a2 {2}mood {2}the second upgrade failed: upgrade a2 \(mood\) failed: ERROR 42710: type "mood" already exists\n {4}enum mood: left behind by the downgrade \(\('calm'\)\)\n/,
  )
  assert.match(result.stdout, /! a3 {2}seed {2}up \d+ms; no downgrade: not reversible\n/)
  assert.match(
    result.stdout,
    /✗ a4 {2}orders {2}the downgrade failed: downgrade a4 \(orders\) failed: ERROR 42601: syntax error at or near "order"\n/,
  )
  // After each problem the rehearsal goes on from a database rebuilt at that migration.
  assert.match(result.stdout, /✓ a5 {2}total {2}up \d+ms → down \d+ms → up \d+ms\n/)
  assert.match(
    result.stdout,
    /✗ a6 {2}nothing up, too much down {2}up \d+ms → down \d+ms → up \d+ms; the downgrade does not restore the schema\n {4}CREATE INDEX users_email_idx ON public\.users USING btree \(email\): there before the upgrade, gone after the downgrade\n/,
  )
  assert.match(
    result.stdout,
    /✗ 6 migrations rehearsed on a scratch database of postgresql:\/\/\S+: 2 reversible, 1 without a downgrade, 3 with problems; scratch database dropped\n$/,
  )
  // The selected database was not touched, and no scratch database is left.
  assert.equal((await db.one("SELECT to_regclass('users') AS t")).t, null)
  assert.equal((await db.one("SELECT to_regclass('alembic_version') AS t")).t, null)
  const left = await db.one("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE '%rehearse%'")
  assert.equal(left.n, 0)
})

test('rehearse -r A:B applies up to A without rehearsing, then rehearses the rest; what needs a failed upgrade is not reached', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeMigrations(project)
  project.sql('a7', {
    down: 'a6',
    message: 'broken',
    up: 'ALTER TABLE nowhere ADD COLUMN x int;',
    downSql: '',
  })
  project.sql('a8', { down: 'a7', message: 'after', up: 'SELECT 2;', downSql: 'SELECT 2;' })

  const json = await project.cli(['--json', 'rehearse', '-r', 'a4:head'])
  assert.equal(json.code, 1, json.stderr)
  const report = JSON.parse(json.stdout)
  assert.equal(report.prepared, 4)
  assert.deepEqual(
    report.migrations.map((m: { revision: string; outcome: string }) => [m.revision, m.outcome]),
    [
      ['a5', 'reversible'],
      ['a6', 'not-restored'],
      ['a7', 'failed'],
    ],
  )
  assert.equal(report.migrations[2].failedLeg, 'up')
  assert.match(report.migrations[2].error, /relation "nowhere" does not exist/)
  assert.deepEqual(report.notReached, ['a8'])

  const human = await project.cli(['rehearse', '-r', 'a4:a5'])
  assert.equal(human.code, 0, human.stdout)
  assert.match(
    human.stdout,
    /^✓ a5 {2}total .*\n✓ 1 migration rehearsed on a scratch database of \S+ \(after 4 migrations applied to reach the start\): 1 reversible; scratch database dropped\n$/,
  )
  const reversed = await project.cli(['rehearse', '-r', 'a5:a4'])
  assert.equal(reversed.code, 2, reversed.stdout)
  assert.match(
    reversed.stderr,
    /^error: a4 comes before a5: a range goes up, FROM:TO\n {2}hint: strata rehearse -r a4:a5\n$/,
  )
  const bad = await project.cli(['rehearse', '-r', 'a4'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^error: "a4" is not a range\n {2}hint: write FROM:TO/)
})

test('rehearse by a role that may not create databases says so and how round it, changing nothing', async (t) => {
  const db = await createTestDatabase(t)
  const role = await createTestRole(t, { prefix: 'app' })
  const project = testProject(t, db)
  writeMigrations(project)
  const url = urlOf({ ...withDatabase(db.spec, db.name), user: role.name, password: role.password })
  const refused = await project.cli(['rehearse'], { DATABASE_URL: url })
  assert.equal(refused.code, 1, refused.stdout)
  assert.match(
    refused.stderr,
    new RegExp(
      `^error: ${role.name} may not create databases\\n {2}hint: ALTER ROLE "${role.name}" CREATEDB, or rehearse on a development server \\(strata dev start; strata rehearse without --url\\)\\n$`,
    ),
  )
  assert.equal((await db.one("SELECT to_regclass('alembic_version') AS t")).t, null)
})

test('a failed upgrade stops only the migrations that need it: another branch is still rehearsed', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('r1', { message: 'root', up: 'CREATE TABLE r (id int);', downSql: 'DROP TABLE r;' })
  project.sql('b1', {
    down: 'r1',
    message: 'broken',
    up: 'ALTER TABLE nowhere ADD COLUMN x int;',
    downSql: 'SELECT 1;',
  })
  project.sql('b2', { down: 'b1', message: 'after broken', up: 'SELECT 2;', downSql: 'SELECT 2;' })
  project.sql('c1', {
    down: 'r1',
    message: 'other branch',
    up: 'ALTER TABLE r ADD COLUMN c int;',
    downSql: 'ALTER TABLE r DROP COLUMN c;',
  })

  const json = await project.cli(['--json', 'rehearse'])
  assert.equal(json.code, 1, json.stderr)
  const report = JSON.parse(json.stdout)
  const outcomes = Object.fromEntries(
    report.migrations.map((m: { revision: string; outcome: string }) => [m.revision, m.outcome]),
  )
  assert.deepEqual(outcomes, { r1: 'reversible', b1: 'failed', c1: 'reversible' })
  assert.deepEqual(report.notReached, ['b2'])
})

test('a downgrade that leaves a function or trigger behind is named, with the kind of object', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('f1', {
    message: 'items',
    up: 'CREATE TABLE items (id int, note text);',
    downSql: 'DROP TABLE items;',
  })
  project.sql('f2', {
    down: 'f1',
    message: 'stamp notes',
    up: `CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'x'; RETURN NEW; END $$;
CREATE TRIGGER items_stamp BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION stamp();`,
    // Forgets the function.
    downSql: 'DROP TRIGGER items_stamp ON items;',
  })
  const result = await project.cli(['rehearse'])
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stdout, /✓ f1 {2}items/)
  assert.match(
    result.stdout,
    /✗ f2 {2}stamp notes {2}the second upgrade failed: .*function "stamp" already exists.*\n {4}function stamp\(\): left behind by the downgrade\n/,
  )
  assert.doesNotMatch(result.stdout, /trigger items\.items_stamp/)
})

test('Ctrl-C during a rehearsal leaves no scratch database behind; one made when a signal ends Strata at once is dropped on the way out', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    's1',
    "export const revision = 's1'\nexport const downRevision = null\nexport async function upgrade(op) { await new Promise((resolve) => setTimeout(resolve, 3000)); await op.execute('CREATE TABLE s (id int)') }\nexport async function downgrade(op) { await op.execute('DROP TABLE s') }\n",
  )
  const scratch = async () =>
    (await db.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${db.name}_rehearse_%`])).rows
  let child: ChildProcess | undefined
  const run = runCli(['rehearse'], {
    cwd: project.dir,
    env: { DATABASE_URL: db.url },
    onSpawn: (spawned) => (child = spawned),
  })
  for (let tries = 0; (await scratch()).length === 0; tries++) {
    assert.ok(tries < 400, 'the rehearsal never made its scratch database')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  child!.kill('SIGINT')
  const result = await run
  assert.equal(result.code, 130, result.stderr)
  assert.deepEqual(await scratch(), [])

  // The way out of a signal that ends Strata at once: what was made is dropped.
  const admin = await connect(db.spec)
  t.after(() => admin.close())
  const name = scratchName(`${db.name}_rehearse`)
  await createScratchDatabase(admin, name, db.spec.user)
  // A deploy rehearsal makes its copy itself, registered the same way.
  const copy = scratchName(`${db.name}_rehearse_copy`)
  dropOnAbruptExit(admin, copy)
  await admin.client.query(`CREATE DATABASE "${copy}" TEMPLATE template0`)
  assert.equal((await scratch()).length, 2)
  await dropScratchDatabasesLeft(5000)
  assert.deepEqual(await scratch(), [])
})
