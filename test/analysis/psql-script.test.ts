import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkMigrations } from '../../src/analysis/check.js'
import { readPsqlScript } from '../../src/analysis/psql-script.js'
import { resolveConfig } from '../../src/config/load-config.js'

test('psql meta-commands are blanked out, keeping lines; \\g ends its statement as ; does', () => {
  const text = [
    '\\set ON_ERROR_STOP on',
    "SELECT 'a\\b', $$ \\not a command $$ -- \\nor this",
    'SELECT 2 \\gx',
    'SELECT 3',
  ].join('\n')
  const script = readPsqlScript(text)
  assert.equal(
    script.sql,
    [
      '                     ',
      "SELECT 'a\\b', $$ \\not a command $$ -- \\nor this",
      'SELECT 2 ;  ',
      'SELECT 3',
    ].join('\n'),
  )
  assert.deepEqual(script.unverifiable, [])
})

test('what psql runs that cannot be analysed is named with its line', () => {
  const script = readPsqlScript(
    [
      "SELECT format('CREATE INDEX ON %I (id)', tablename) FROM pg_tables \\gexec",
      '\\ir other.sql',
      '\\c reports',
    ].join('\n'),
  )
  assert.deepEqual(script.unverifiable, [
    'line 1: \\gexec runs the rows its query returns as SQL, which is not analysed',
    'line 2: \\ir other.sql includes a file that is not analysed here: check it too',
    'line 3: \\c reports switches database; what follows is analysed as one script',
  ])
})

test('strata check reads a psql script: its statements, their lines, and a class that names the change', async () => {
  const text = [
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    "SET lock_timeout = '5s';",
    'ALTER TABLE users ADD COLUMN nickname text;',
    'COMMIT;',
    '\\echo done',
  ].join('\n')
  const report = await checkMigrations({
    config: resolveConfig({}, undefined, process.cwd()),
    files: [{ path: 'deploy.sql', text }],
  })
  const migration = report.migrations[0]!
  assert.deepEqual(
    migration.statements.map((statement) => statement.line),
    [2, 3, 4, 5],
  )
  assert.equal(migration.classification.reason, 'additive: adds column users.nickname (text)')
  assert.deepEqual(migration.findings, [])
})
