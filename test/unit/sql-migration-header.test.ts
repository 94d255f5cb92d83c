import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidMigrationError } from '../../src/errors/index.js'
import { parseSqlMigration } from '../../src/graph/sql-migration-file.js'

test("an SQL migration's header takes Alembic's docstring labels: Revision ID, Revises (<base> for none), Create Date", () => {
  const child = parseSqlMigration(
    [
      '-- add orders',
      '-- Revision ID: 87ccc82aba80',
      '-- Revises: 6ae69e7cfe6c',
      '-- Create Date: 2026-11-30 23:20:04',
      '-- migrate:up',
      'CREATE TABLE orders (id bigint);',
      '-- migrate:down',
      'DROP TABLE orders;',
    ].join('\n'),
    '/p/versions/87ccc82aba80_add_orders.sql',
    'sum',
  )
  assert.equal(child.meta.revision, '87ccc82aba80')
  assert.deepEqual(child.meta.downRevisions, ['6ae69e7cfe6c'])
  assert.equal(child.meta.createDate, '2026-11-30 23:20:04')
  const first = parseSqlMigration(
    '-- Revision ID: 6ae69e7cfe6c\n-- Revises: <base>\n-- migrate:up\nSELECT 1;\n',
    '/p/versions/6ae69e7cfe6c_first.sql',
    'sum',
  )
  assert.deepEqual(first.meta.downRevisions, [])
  // A near miss of a key is still refused, with the keys there are.
  assert.throws(
    () => parseSqlMigration('-- revision: a1\n-- Revison: x\n-- migrate:up\nSELECT 1;\n', '/p/a1.sql', 'sum'),
    (error: unknown) =>
      error instanceof InvalidMigrationError && /a1\.sql:2: unknown header key "revison"/.test(error.message),
  )
})

test('a header comment that is no near miss of a key (TODO:, Author:) is a comment; a near miss is refused', () => {
  const parsed = parseSqlMigration(
    '-- revision: a1\n-- TODO: split this once orders is partitioned\n-- Author: bob\n-- migrate:up\nSELECT 1;\n',
    '/p/a1.sql',
    'sum',
  )
  assert.equal(parsed.meta.revision, 'a1')
  assert.equal(parsed.body.up.length, 1)
  assert.throws(
    () =>
      parseSqlMigration(
        '-- revision: a1\n-- down_revison: a0\n-- migrate:up\nSELECT 1;\n',
        '/p/a1.sql',
        'sum',
      ),
    (error: unknown) =>
      error instanceof InvalidMigrationError &&
      /a1\.sql:2: unknown header key "down_revison"\. Did you mean "down_revision"\?/.test(error.message),
  )
})
