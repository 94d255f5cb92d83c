// A transactional migration travels to the server in one round trip: its statements,
// the version-table change and the history row, between BEGIN and COMMIT; consecutive
// ones share a round trip, each in its own transaction. These tests hold that batching
// to the behaviour of running migration by migration, statement by statement.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

/** The version table's rows. */
async function versionRows(db: TestDatabase): Promise<string[]> {
  return (await db.query('SELECT version_num FROM alembic_version ORDER BY 1')).rows.map(
    (row) => row.version_num,
  )
}

test('a failure without an error position still names its statement and line', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    message: 'duplicate key',
    up: 'CREATE TABLE accounts (id int PRIMARY KEY);\nINSERT INTO accounts VALUES (1);\n\nINSERT INTO accounts VALUES (1);\nCREATE TABLE never_created (id int);',
  })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /upgrade aaa111 \(duplicate key\) failed: ERROR 23505: duplicate key value/)
  assert.match(result.stderr, /statement at .*aaa111_m\.sql:8: INSERT INTO accounts VALUES \(1\)/)
  assert.match(result.stderr, /rolled back: aaa111 left no change/)
  assert.equal((await db.one("SELECT to_regclass('accounts') AS t")).t, null)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM alembic_version')).n, 0)
})

test('a migration that catches an error after a SAVEPOINT goes on as written', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    `export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op) {
  await op.execute('CREATE TABLE notes (body text)')
  await op.execute('SAVEPOINT optional_extension')
  try {
    await op.execute('CREATE EXTENSION no_such_extension_here')
  } catch {
    await op.execute('ROLLBACK TO SAVEPOINT optional_extension')
  }
  await op.execute("INSERT INTO notes VALUES ('the extension was optional')")
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal((await db.one('SELECT body FROM notes')).body, 'the extension was optional')
  assert.deepEqual(await versionRows(db), ['aaa111'])
})

test('op.query sees what earlier op.execute calls of the same migration did', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    `export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op) {
  await op.execute('CREATE TABLE plans (name text)')
  await op.execute("INSERT INTO plans VALUES ('free'), ('team')")
  const [{ n }] = await op.query('SELECT count(*)::int AS n FROM plans')
  await op.execute(\`CREATE TABLE plan_count_\${n} (id int)\`)
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.notEqual((await db.one("SELECT to_regclass('plan_count_2') AS t")).t, null)
})

test('a version table changed behind Strata’s back stops the migration before COMMIT', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE first_t (id int);' })
  project.sql('bbb222', {
    down: 'aaa111',
    // Stands for another tool or a person editing the version table meanwhile.
    up: 'CREATE TABLE second_t (id int);\nDELETE FROM alembic_version;',
  })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /bbb222 was not recorded: the version table public\.alembic_version changed unexpectedly: expected the row "aaa111", found none/,
  )
  assert.match(result.stderr, /hint: someone edited it during the run/)
  assert.equal((await db.one("SELECT to_regclass('second_t') AS t")).t, null, 'bbb222 rolled back')
  assert.deepEqual(await versionRows(db), ['aaa111'])
})

test('a deferred constraint that fails at COMMIT rolls the migration back and says so', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: 'CREATE TABLE parents (id int PRIMARY KEY);\nCREATE TABLE children (parent_id int REFERENCES parents DEFERRABLE INITIALLY DEFERRED);',
  })
  project.sql('bbb222', { down: 'aaa111', up: 'INSERT INTO children VALUES (42);' })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /upgrade bbb222 failed at COMMIT: ERROR 23503/)
  assert.match(result.stderr, /rolled back: bbb222 left no change/)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM children')).n, 0)
  assert.deepEqual(await versionRows(db), ['aaa111'])
})

test('history rows are timed by the server, per migration and in one transaction', async (t) => {
  for (const mode of [[], ['--single-transaction']]) {
    const db = await createTestDatabase(t)
    const project = testProject(t, db)
    project.sql('aaa111', {
      up: 'CREATE TABLE slow_a (id int);\nSELECT pg_sleep(0.05);',
      downSql: 'DROP TABLE slow_a;',
    })
    project.sql('bbb222', { down: 'aaa111', up: 'SELECT pg_sleep(0.05);', downSql: 'SELECT 1;' })
    const result = await project.cli(['upgrade', 'head', ...mode])
    assert.equal(result.code, 0, result.stderr)
    const rows = (
      await db.query(
        'SELECT revision, started_at, finished_at, duration_ms, outcome FROM strata_history ORDER BY id',
      )
    ).rows
    assert.deepEqual(
      rows.map((row) => [row.revision, row.outcome]),
      [
        ['aaa111', 'success'],
        ['bbb222', 'success'],
      ],
    )
    for (const row of rows) {
      assert.ok(row.duration_ms >= 45, `${mode.join('')} ${row.revision} took ${row.duration_ms} ms`)
      assert.ok(row.finished_at >= row.started_at)
    }
    assert.ok(rows[1]!.started_at >= rows[0]!.finished_at, 'the second step starts after the first ends')
  }
})

test('TypeScript migrations run from their cached compilation, importing strata or helpers alike', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    '_helpers',
    "export const auditColumns = [{ name: 'created_at', type: 'timestamptz', default: { sql: 'now()' } }]\n",
  )
  project.ts(
    'aaa111',
    `import type { MigrationOp } from 'strata'
import { defineConfig } from 'strata'
export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op: MigrationOp) {
  await op.createTable('widgets', [{ name: 'id', type: 'bigint', primaryKey: true }])
  await op.execute(\`COMMENT ON TABLE widgets IS '\${typeof defineConfig}'\`)
}
export async function downgrade(op: MigrationOp) {
  await op.dropTable('widgets')
}
`,
  )
  project.ts(
    'bbb222',
    `import { auditColumns } from './_helpers_m'
export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.addColumn('widgets', { ...auditColumns[0], default: op.sql('now()') })
}
export async function downgrade(op) {
  await op.dropColumn('widgets', auditColumns[0].name)
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  assert.equal((await db.one("SELECT obj_description('widgets'::regclass) AS c")).c, 'function')
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'widgets'"))
      .n,
    2,
  )
  const compiled = join(project.dir, '.strata', 'cache', 'compiled')
  const cached = () =>
    readdirSync(compiled)
      .filter((name) => name.endsWith('.cjs'))
      .map((name) => `${name} ${statSync(join(compiled, name)).mtimeMs}`)
  assert.equal(cached().length, 2)
  const before = cached()
  // The downgrade loads both again, from the cache: nothing is compiled a second time.
  const again = await project.cli(['downgrade', 'base'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal((await db.one("SELECT to_regclass('widgets') AS t")).t, null)
  assert.deepEqual(cached(), before)
  // An edited migration is compiled anew and its old compilation removed.
  const file = join(project.dir, 'migrations', 'versions', 'bbb222_m.ts')
  writeFileSync(file, `${readFileSync(file, 'utf8')}// edited\n`)
  const edited = await project.cli(['upgrade', 'head'])
  assert.equal(edited.code, 0, edited.stderr)
  assert.equal(cached().length, 2)
  assert.notDeepEqual(cached(), before)
})

test('migrations sharing a round trip: a failure in the middle keeps those before it and runs none after it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE first_t (id int);' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE second_t (id int);' })
  project.sql('ccc333', {
    down: 'bbb222',
    message: 'broken',
    up: 'CREATE TABLE third_t (id int);\nINSERT INTO third_t VALUES (1 / 0);',
  })
  project.sql('ddd444', { down: 'ccc333', up: 'CREATE TABLE fourth_t (id int);' })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /upgrade ccc333 \(broken\) failed: ERROR 22012: division by zero/)
  assert.match(result.stderr, /rolled back: ccc333 left no change; the database stays at bbb222/)
  assert.match(result.stdout, /Running upgrade aaa111 -> bbb222/, 'applied steps are reported')
  const tables = await db.query(
    "SELECT relname FROM pg_class WHERE relname LIKE '%\\_t' AND relkind = 'r' ORDER BY relname",
  )
  assert.deepEqual(
    tables.rows.map((row) => row.relname),
    ['first_t', 'second_t'],
  )
  assert.deepEqual(await versionRows(db), ['bbb222'])
  const history = await db.query('SELECT revision, outcome FROM strata_history ORDER BY id')
  assert.deepEqual(
    history.rows.map((row) => [row.revision, row.outcome]),
    [
      ['aaa111', 'success'],
      ['bbb222', 'success'],
      ['ccc333', 'failed'],
    ],
  )
})

test('a migration whose code throws: the migrations waiting before it are applied first', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE first_t (id int);' })
  project.ts(
    'bbb222',
    `export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.execute('CREATE TABLE never_t (id int)')
  throw new Error('the data file is missing')
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /upgrade bbb222 failed: the data file is missing/)
  assert.match(result.stderr, /the database stays at aaa111/)
  assert.notEqual((await db.one("SELECT to_regclass('first_t') AS t")).t, null)
  assert.equal((await db.one("SELECT to_regclass('never_t') AS t")).t, null)
  assert.deepEqual(await versionRows(db), ['aaa111'])
})

test('an earlier migration’s failure found by a later one’s query is reported as the earlier one’s, even when caught', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    message: 'bad insert',
    up: 'CREATE TABLE first_t (id int);\nINSERT INTO nowhere VALUES (1);',
  })
  project.ts(
    'bbb222',
    `export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  try {
    await op.query('SELECT 1')
  } catch {
    // a migration that swallows errors must not hide the earlier one's
  }
  await op.execute('CREATE TABLE second_t (id int)')
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /upgrade aaa111 \(bad insert\) failed: ERROR 42P01: relation "nowhere" does not exist/,
  )
  assert.match(result.stderr, /statement at .*aaa111_m\.sql:\d+.*INSERT INTO nowhere/)
  assert.doesNotMatch(result.stderr, /bbb222 failed/)
  for (const table of ['first_t', 'second_t'])
    assert.equal((await db.one('SELECT to_regclass($1) AS t', [table])).t, null, table)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM alembic_version')).n, 0)
})

test('each migration of a shared round trip is reported with the time the server measured for it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT pg_sleep(0.2);' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE quick_t (id int);' })
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  const took = (revision: string) =>
    Number(new RegExp(`-> ${revision}[^(]*\\((\\d+) ms\\)`).exec(result.stdout)?.[1])
  assert.ok(took('aaa111') >= 190, result.stdout)
  assert.ok(took('bbb222') < 150, result.stdout)
})

test('a long run records every step through its prepared record, up and down, exactly as a short run does', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  const revisions = ['aaa111', 'bbb222', 'ccc333', 'ddd444', 'eee555', 'fff666']
  for (const [index, revision] of revisions.entries()) {
    project.sql(revision, {
      ...(index === 0 ? {} : { down: revisions[index - 1] }),
      message: `step ${index}`,
      up: `CREATE TABLE t_${revision} (id int);`,
      downSql: `DROP TABLE t_${revision};`,
    })
  }
  for (const command of [
    ['upgrade', 'head'],
    ['downgrade', 'base'],
    ['upgrade', 'ccc333'],
  ]) {
    const result = await project.cli(command)
    assert.equal(result.code, 0, result.stderr)
  }
  assert.deepEqual(await versionRows(db), ['ccc333'])
  const history = await db.query(
    'SELECT revision, direction, outcome, message, checksum IS NOT NULL AS checksum, tool_version, duration_ms >= 0 AS timed FROM strata_history ORDER BY id',
  )
  const expected = [
    ...revisions.map((revision) => [revision, 'up']),
    ...[...revisions].reverse().map((revision) => [revision, 'down']),
    ...revisions.slice(0, 3).map((revision) => [revision, 'up']),
  ]
  assert.deepEqual(
    history.rows.map((row) => [row.revision, row.direction]),
    expected,
  )
  for (const row of history.rows) {
    assert.equal(row.outcome, 'success')
    assert.equal(row.message, `step ${revisions.indexOf(row.revision)}`)
    assert.equal(row.checksum, true)
    assert.match(row.tool_version, /^\d+\.\d+\.\d+/)
    assert.equal(row.timed, true)
  }
})
