import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'
import { testProject } from '../helpers/project.js'

/** The not-rerunnable fixes of a non-transactional migration's statements, in order. */
async function fixes(sql: string): Promise<string[]> {
  const report = await analyseSql(sql, { runner: true, transactional: false })
  return report.findings.filter((f) => f.rule === 'not-rerunnable').map((f) => f.fix.split('\n')[0]!)
}

test('each statement a re-run would trip over gets the form that runs twice', async () => {
  assert.deepEqual(
    await fixes(
      [
        'CREATE TABLE audit (id bigint);',
        'CREATE INDEX CONCURRENTLY ix_audit_id ON audit (id);',
        'ALTER TABLE users ADD COLUMN nickname text;',
        'ALTER TABLE users DROP COLUMN legacy;',
        'DROP MATERIALIZED VIEW report;',
        'DROP INDEX CONCURRENTLY ix_old;',
        "ALTER TYPE mood ADD VALUE 'calm';",
        'CREATE VIEW v AS SELECT 1;',
      ].join('\n'),
    ),
    [
      'CREATE TABLE IF NOT EXISTS audit (id bigint);',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_audit_id ON audit (id);',
      'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;',
      'ALTER TABLE users DROP COLUMN IF EXISTS legacy;',
      'DROP MATERIALIZED VIEW IF EXISTS report;',
      'DROP INDEX CONCURRENTLY IF EXISTS ix_old;',
      "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm';",
      'CREATE OR REPLACE VIEW v AS SELECT 1;',
    ],
  )
})

test('a constraint dropped IF EXISTS earlier in the migration is re-runnable; an unnamed one never is', async () => {
  assert.deepEqual(
    await fixes(
      'ALTER TABLE orders DROP CONSTRAINT IF EXISTS ck_total;\nALTER TABLE orders ADD CONSTRAINT ck_total CHECK (total >= 0) NOT VALID;',
    ),
    [],
  )
  assert.deepEqual(await fixes('ALTER TABLE orders ADD CHECK (total >= 0) NOT VALID;'), [
    'name the constraint, and drop it first: ALTER TABLE orders DROP CONSTRAINT IF EXISTS <name>;',
  ])
})

test('in a TypeScript migration the fix is also the op call with its guard', async (t) => {
  const project = testProject(t)
  project.ts(
    'aaa111',
    [
      "export const revision = 'aaa111'",
      'export const downRevision = null',
      'export const transactional = false',
      'export async function upgrade(op: any) {',
      "  await op.addColumn('users', { name: 'nickname', type: 'text' })",
      '}',
      'export async function downgrade(op: any) {',
      "  await op.dropConstraint('users_nickname_check', 'users')",
      "  await op.dropColumn('users', 'nickname')",
      '}',
      '',
    ].join('\n'),
  )
  const result = await project.cli(['check', '--offline', '--format', 'json'])
  const fixes = (JSON.parse(result.stdout).migrations[0].findings as { rule: string; fix: string }[])
    .filter((finding) => finding.rule === 'not-rerunnable')
    .map((finding) => finding.fix.split('\n')[1])
  assert.deepEqual(fixes, [
    'TS: pass { ifNotExists: true } to the op call that creates it',
    "TS: await op.dropConstraint('users_nickname_check', 'users', { ifExists: true })",
    "TS: await op.dropColumn('users', 'nickname', { ifExists: true })",
  ])
})

test("a statement in a transaction the migration commits itself is flagged with that COMMIT's line; one rolled back, or left to the runner's commit, is not", async () => {
  const report = await analyseSql(
    [
      'BEGIN;',
      'CREATE TABLE kept (id int);',
      'INSERT INTO kept VALUES (1);',
      'COMMIT;',
      'BEGIN;',
      'CREATE TABLE tried (id int);',
      'ROLLBACK;',
      'CREATE TABLE outside (id int);',
    ].join('\n'),
    { runner: true, transactional: false },
  )
  const messages = report.findings.filter((f) => f.rule === 'not-rerunnable').map((f) => f.message)
  assert.deepEqual(messages, [
    'creates a table and is committed before the migration ends (COMMIT at line 4): if the migration is interrupted after it, the re-run repeats it and fails',
    'inserts rows (a second run inserts them again, or fails on a unique key) and is committed before the migration ends (COMMIT at line 4): if the migration is interrupted after it, the re-run repeats it and fails',
    "creates a table outside the migration's transaction: if the migration is interrupted after it, the re-run repeats it and fails",
  ])
  // In a transactional migration the runner's own COMMIT ends the one transaction: nothing to flag.
  const transactional = await analyseSql('CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);', {
    runner: true,
  })
  assert.deepEqual(
    transactional.findings.filter((f) => f.rule === 'not-rerunnable'),
    [],
  )
})
