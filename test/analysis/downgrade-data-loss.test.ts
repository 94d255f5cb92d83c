import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseStatements } from '../../src/analysis/analyse-migration.js'
import { destroyedInOrder } from '../../src/analysis/copied-out.js'
import { plainSqlSource } from '../../src/analysis/migration-source.js'
import { loadParser } from '../../src/analysis/parse-sql.js'
import { SchemaModel } from '../../src/analysis/schema-model.js'

async function analysed(sql: string) {
  await loadParser()
  const source = plainSqlSource('down.sql', sql)
  return analyseStatements(source.up, source, new SchemaModel(), 16)
}

async function destroyed(sql: string) {
  return destroyedInOrder(await analysed(sql)).flatMap((item) => item.lostData)
}

test('a downgrade destroys what it drops, truncates or deletes', async () => {
  assert.deepEqual(
    await destroyed(
      'ALTER TABLE users DROP COLUMN nickname;\nDROP TABLE billing.invoices;\nTRUNCATE audit;\nDELETE FROM events;',
    ),
    [
      { table: 'users', column: 'nickname' },
      { table: 'billing.invoices' },
      { table: 'audit' },
      { table: 'events' },
    ],
  )
})

test('a table whose rows were copied out before it is dropped loses nothing; one only written to does', async () => {
  assert.deepEqual(
    await destroyed(
      [
        'INSERT INTO users (id, email) OVERRIDING SYSTEM VALUE SELECT id, email FROM users_strata_dups;',
        'DROP TABLE users_strata_dups;',
        'UPDATE user_sessions s SET user_id = r.old_user_id FROM user_sessions_repointed r WHERE s.id = r.session_id;',
        'DROP TABLE user_sessions_repointed;',
        'INSERT INTO audit_log VALUES (1);',
        'DROP TABLE audit_log;',
        'DROP TABLE users;',
      ].join('\n'),
    ),
    [{ table: 'audit_log' }, { table: 'users' }],
  )
  // Dropped first and copied from afterwards (it would fail): still a loss.
  assert.deepEqual(await destroyed('DROP TABLE old_rows;\nINSERT INTO rows SELECT * FROM old_rows;'), [
    { table: 'old_rows' },
  ])
})

test('a schema dropped with CASCADE loses every table in it; without CASCADE nothing (PostgreSQL refuses a non-empty one)', async () => {
  const statements = await analysed('DROP SCHEMA billing CASCADE;\nDROP SCHEMA empty_one;')
  assert.deepEqual(
    statements.map((statement) => statement.effects.lostSchemas),
    [['billing'], []],
  )
  assert.deepEqual(statements[0]!.effects.destroys, ['schema billing and every table in it'])
})
