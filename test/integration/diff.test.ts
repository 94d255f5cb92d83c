import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'

test('strata diff compares two databases object by object, says what would make one like the other, and writes nothing', async (t) => {
  const staging = await createTestDatabase(t)
  const production = await createTestDatabase(t)
  const project = testProject(t, undefined, {
    databases: { staging: '${STAGING_URL}', production: '${PRODUCTION_URL}' },
    default: 'staging',
  })
  const env = { STAGING_URL: staging.url, PRODUCTION_URL: production.url }
  project.sql('d1', {
    up: 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL); CREATE INDEX users_email_idx ON users (email);',
    downSql: 'DROP TABLE users;',
  })
  for (const name of ['staging', 'production'])
    assert.equal((await project.cli(['-n', name, 'upgrade', 'head'], env)).code, 0)

  const same = await project.cli(['diff', 'production'], env)
  assert.equal(same.code, 0, same.stdout + same.stderr)
  assert.match(
    same.stdout,
    /✓ staging and production have the same schema \(\d+ objects compared in public\)/,
  )

  // Across majors (16 and 18, where NOT NULL is also a named constraint) the same migrations are the same schema.
  const eighteen = await createTestDatabase(t, 18)
  assert.equal((await project.cli(['--url', eighteen.url, 'upgrade', 'head'], env)).code, 0)
  const acrossMajors = await project.cli(['diff', eighteen.url], env)
  assert.equal(acrossMajors.code, 0, acrossMajors.stdout + acrossMajors.stderr)

  // A hotfix made on production only.
  await production.query('ALTER TABLE users ADD COLUMN phone text; DROP INDEX users_email_idx')
  const diff = await project.cli(['diff', 'production'], env)
  assert.equal(diff.code, 1, diff.stderr)
  assert.match(diff.stdout, /users\.phone: column in production, not in staging/)
  assert.match(
    diff.stdout,
    /CREATE INDEX users_email_idx ON public\.users USING btree \(email\): in production, not in staging|index users_email_idx: in staging, not in production/,
  )
  assert.match(
    diff.stdout,
    /✗ 2 differences between staging and production; `--sql` prints what would make staging like production/,
  )

  const sql = await project.cli(['diff', 'production', '--sql'], env)
  assert.equal(sql.code, 1)
  assert.match(
    sql.stdout,
    /^-- Makes staging's schema like production's \(strata diff\)\. Review before running:\n/,
  )
  assert.match(
    sql.stdout,
    /\nSET lock_timeout = '5000ms';\nBEGIN;\n[\s\S]*ALTER TABLE users ADD COLUMN phone text;\n[\s\S]*COMMIT;\n/,
  )
  // Production's forms: the index goes CONCURRENTLY, after the transaction.
  assert.match(
    sql.stdout,
    /\n-- Outside a transaction, one statement at a time:\nDROP INDEX CONCURRENTLY [\s\S]*users_email_idx/,
  )
  const stagingColumns = await staging.one(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users'",
  )
  assert.equal(stagingColumns.n, 2, 'nothing was written')

  // A URL works as well as a name, and its password is never printed.
  const byUrl = await project.cli(['diff', production.url], env)
  assert.equal(byUrl.code, 1)
  assert.ok(production.spec.password)
  assert.ok(!(byUrl.stdout + byUrl.stderr).includes(production.spec.password))

  const unknown = await project.cli(['diff', 'prod'], env)
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no database named "prod" in .*Known: staging, production/)

  // Nothing in it destroys data: no warning.
  assert.doesNotMatch(sql.stdout, /WARNING/)

  // Run as its header says, it makes staging like production.
  runWithPsql(staging.url, sql.stdout)
  const after = await project.cli(['diff', 'production'], env)
  assert.equal(after.code, 0, after.stdout)

  // The other way round it drops production's column: the header says what it destroys
  // in production, with the rows the table holds, and the backup to take first.
  await production.query(
    "INSERT INTO users SELECT g, 'u' || g || '@example.com', '555' FROM generate_series(1, 40) g",
  )
  await production.query('ANALYZE users')
  await staging.query('ALTER TABLE users DROP COLUMN phone')
  const destructive = await project.cli(['-n', 'production', 'diff', 'staging', '--sql'], env)
  assert.equal(destructive.code, 1, destructive.stderr)
  assert.match(
    destructive.stdout,
    /^-- WARNING: this script destroys data in production: column users\.phone \(~40 rows\)\.\n-- Back it up first: strata -n production backup -t users \(or take a whole backup\)$/m,
  )
})
