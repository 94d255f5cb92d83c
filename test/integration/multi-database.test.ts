import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const CONFIG = {
  databases: {
    analytics: { url: '${ANALYTICS_DB_URL}', migrations: { directories: ['migrations/analytics'] } },
    primary: '${PRIMARY_DB_URL}',
  },
  default: 'primary',
}

async function twoDatabases(t: Parameters<typeof testProject>[0]) {
  const primary = await createTestDatabase(t)
  const analytics = await createTestDatabase(t)
  const project = testProject(t, undefined, CONFIG)
  project.sql('b10000000001', { up: 'CREATE TABLE users (id int PRIMARY KEY)', downSql: 'DROP TABLE users' })
  const analyticsDir = join(project.dir, 'migrations', 'analytics')
  mkdirSync(analyticsDir)
  const analyticsMigration = (up: string) =>
    writeFileSync(
      join(analyticsDir, 'c10000000001_events.sql'),
      `-- revision: c10000000001\n-- down_revision: none\n-- migrate:up\n${up}\n-- migrate:down\nDROP TABLE events;\n`,
    )
  analyticsMigration('CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz)')
  const env = { PRIMARY_DB_URL: primary.url, ANALYTICS_DB_URL: analytics.url }
  const tables = async (db: typeof primary) =>
    (
      await db.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('alembic_version', 'strata_history') ORDER BY 1",
      )
    ).rows.map((row) => row.tablename)
  return { primary, analytics, project, env, analyticsDir, analyticsMigration, tables }
}

test('-n NAME: a named database with its own migrations directory, like an alembic.ini section', async (t) => {
  const { primary, analytics, project, env, analyticsDir, tables } = await twoDatabases(t)
  const up = await project.cli(['-n', 'analytics', 'upgrade', 'head'], env)
  assert.equal(up.code, 0, up.stderr)
  assert.deepEqual(await tables(analytics), ['events'])
  assert.deepEqual(await tables(primary), [], 'the default database was not touched')

  const revision = await project.cli(['-n', 'analytics', 'revision', '-m', 'add sessions'], env)
  assert.equal(revision.code, 0, revision.stderr)
  assert.equal(readdirSync(analyticsDir).filter((file) => file.includes('add_sessions')).length, 1)
})

test('--all-databases runs the command against each configured database in order, with a summary', async (t) => {
  const { primary, analytics, project, env, tables } = await twoDatabases(t)
  const up = await project.cli(['--all-databases', 'upgrade', 'head'], env)
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /== analytics ==[\s\S]*== primary ==/)
  assert.match(up.stdout, /database\s+result\nanalytics\s+✓ ok\nprimary\s+✓ ok/)
  assert.deepEqual(await tables(analytics), ['events'])
  assert.deepEqual(await tables(primary), ['users'])

  const current = await project.cli(['--all-databases', 'current', '--json'], env)
  assert.equal(current.code, 0, current.stderr)
  const document = JSON.parse(current.stdout)
  assert.deepEqual(
    document.databases.map((entry: { name: string; ran: boolean }) => [entry.name, entry.ran]),
    [
      ['analytics', true],
      ['primary', true],
    ],
  )
  assert.equal(document.ok, true)

  const both = await project.cli(['--all-databases', '-n', 'primary', 'current'], env)
  assert.equal(both.code, 2)
  assert.match(both.stderr, /--all-databases and -n\/--url exclude each other/)
  // An offline script is one database's: several between banners would not run in psql.
  const scripts = await project.cli(['--all-databases', 'upgrade', 'head', '--sql'], env)
  assert.equal(scripts.code, 2)
  assert.equal(scripts.stdout, '')
  assert.match(
    scripts.stderr,
    /hint: write one per database: strata -n analytics upgrade head --sql > analytics\.sql; strata -n primary upgrade head --sql > primary\.sql\n$/,
  )
})

test('--all-databases upgrade stops at the first database that fails and says which did not run', async (t) => {
  const { primary, analytics, project, env, analyticsMigration, tables } = await twoDatabases(t)
  analyticsMigration('CREATE TABLE events (id bigint PRIMARY KEY, at no_such_type)')
  const up = await project.cli(['--all-databases', 'upgrade', 'head'], env)
  assert.equal(up.code, 1)
  assert.match(up.stderr, /no_such_type/)
  assert.match(up.stdout, /analytics\s+✗ failed \(exit 1\)\nprimary\s+not run: an earlier database failed/)
  assert.deepEqual(await tables(analytics), [])
  assert.deepEqual(await tables(primary), [], 'the next database was not upgraded')
})

test('without a default: the only configured database is used; of several, none is guessed (exit 2, nothing run)', async (t) => {
  const primary = await createTestDatabase(t)
  const single = testProject(t, undefined, { databases: { primary: '${PRIMARY_DB_URL}' } })
  single.sql('s1', { up: 'CREATE TABLE single_one (id int)', downSql: 'DROP TABLE single_one' })
  const up = await single.cli(['upgrade', 'head'], { PRIMARY_DB_URL: primary.url })
  assert.equal(up.code, 0, up.stderr)
  assert.doesNotMatch(up.stderr + up.stdout, /development server/)
  assert.equal((await primary.one("SELECT to_regclass('single_one')::text AS t")).t, 'single_one')

  const { project, env, tables, analytics } = await twoDatabases(t)
  const { default: _chosen, ...withoutDefault } = CONFIG
  writeFileSync(join(project.dir, 'strata.config.json'), JSON.stringify(withoutDefault))
  const guessed = await project.cli(['-c', 'strata.config.json', 'upgrade', 'head'], env)
  assert.equal(guessed.code, 2, guessed.stdout)
  assert.match(
    guessed.stderr,
    /^error: strata\.config\.json configures 2 databases \(analytics, primary\) and no default, so it is not clear which this command is for\n/,
  )
  assert.match(guessed.stderr, /hint: name one with -n analytics, or add default: 'analytics' to the config/)
  assert.deepEqual(await tables(analytics), [])
  const named = await project.cli(['-c', 'strata.config.json', '-n', 'analytics', 'upgrade', 'head'], env)
  assert.equal(named.code, 0, named.stderr)
})
