import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidMigrationError } from '../../src/errors/index.js'
import { parseAlembicMigration } from '../../src/graph/alembic-migration-file.js'

test("an Alembic migration's ids, message, date and downgrade are read without Python", () => {
  const meta = parseAlembicMigration(
    [
      '"""create users',
      '',
      'Revision ID: 1975ea83b712',
      'Revises:',
      'Create Date: 2025-11-20 10:00:00.000000',
      '',
      '"""',
      'from alembic import op',
      '',
      "revision = '1975ea83b712'",
      'down_revision = None',
      'branch_labels = None',
      'depends_on = None',
      '',
      'def upgrade():',
      "    op.create_table('users')",
      '',
      'def downgrade():',
      "    op.drop_table('users')",
      '',
    ].join('\n'),
    '/p/versions/1975ea83b712_create_users.py',
    'sum',
  )
  assert.deepEqual(
    {
      revision: meta.revision,
      down: meta.downRevisions,
      labels: meta.branchLabels,
      depends: meta.dependsOn,
      message: meta.message,
      createDate: meta.createDate,
      hasDowngrade: meta.hasDowngrade,
      format: meta.format,
    },
    {
      revision: '1975ea83b712',
      down: [],
      labels: [],
      depends: [],
      message: 'create users',
      createDate: '2025-11-20 10:00:00.000000',
      hasDowngrade: true,
      format: 'alembic',
    },
  )
})

test('annotated assignments, a merge over several lines, labels, and an empty downgrade', () => {
  const meta = parseAlembicMigration(
    [
      '"""merge heads"""',
      'from typing import Sequence, Union',
      'revision: str = "c0ffee000001"',
      'down_revision: Union[str, Sequence[str], None] = (',
      "    'aaa111',  # the auth branch",
      "    'bbb222',",
      ')',
      "branch_labels: Union[str, Sequence[str], None] = ('auth',)",
      "depends_on = ['ddd444']",
      '',
      'def upgrade() -> None:',
      '    pass',
      '',
      'def downgrade() -> None:',
      '    """Nothing to undo."""',
      '    # a merge has no schema change',
      '    pass',
    ].join('\n'),
    '/p/versions/c0ffee000001_merge.py',
    'sum',
  )
  assert.equal(meta.revision, 'c0ffee000001')
  assert.deepEqual(meta.downRevisions, ['aaa111', 'bbb222'])
  assert.deepEqual(meta.branchLabels, ['auth'])
  assert.deepEqual(meta.dependsOn, ['ddd444'])
  assert.equal(meta.message, 'merge heads')
  assert.equal(meta.hasDowngrade, false)
})

test('a Python file without a revision line is refused with its file', () => {
  assert.throws(
    () => parseAlembicMigration('import os\n', '/p/versions/helpers.py', 'sum'),
    (error: unknown) =>
      error instanceof InvalidMigrationError &&
      error.message === '/p/versions/helpers.py:1: no "revision = \'<id>\'" line',
  )
})
