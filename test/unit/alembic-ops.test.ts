import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderAlembicCalls } from '../../src/adopt/alembic/alembic-ops.js'
import { readFunctionBody } from '../../src/adopt/alembic/python-calls.js'
import { NotPortable } from '../../src/adopt/alembic/python-values.js'

/** The SQL an upgrade() body of these lines ports to. */
function port(...lines: string[]): string[] {
  const body = readFunctionBody(
    `def upgrade():\n${lines.map((line) => `    ${line}`).join('\n')}\n`,
    'upgrade',
  )
  assert.ok(body !== undefined && 'calls' in body, JSON.stringify(body))
  return renderAlembicCalls(body.calls)
}

test("Alembic operations' keywords become their SQL: IF [NOT] EXISTS, INCLUDE, DEFERRABLE, comments", () => {
  assert.deepEqual(
    port(
      "op.create_index('ix_orders_user', 'orders', ['user_id'], postgresql_include=['total'], if_not_exists=True)",
      "op.drop_index('ix_old', table_name='orders', if_exists=True)",
      "op.create_foreign_key('fk_o_u', 'orders', 'users', ['user_id'], ['id'], ondelete='SET NULL', deferrable=True, initially='deferred')",
      "op.alter_column('orders', 'total', comment='in cents', existing_type=sa.Integer())",
      "op.create_table_comment('orders', 'what people bought')",
      "op.drop_constraint('ck_old', 'orders', type_='check', if_exists=True)",
      "op.add_column('orders', sa.Column('note', sa.Text()), if_not_exists=True)",
    ),
    [
      'CREATE INDEX IF NOT EXISTS ix_orders_user ON orders (user_id) INCLUDE (total);',
      'DROP INDEX IF EXISTS ix_old;',
      'ALTER TABLE orders ADD CONSTRAINT fk_o_u FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;',
      "COMMENT ON COLUMN orders.total IS 'in cents';",
      "COMMENT ON TABLE orders IS 'what people bought';",
      'ALTER TABLE orders DROP CONSTRAINT IF EXISTS ck_old;',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;',
    ],
  )
})

test('a keyword the port does not read is refused, not dropped', () => {
  assert.throws(
    () => port("op.create_index('ix', 'orders', ['a'], postgresql_with={'fillfactor': 50})"),
    (error: unknown) =>
      error instanceof NotPortable &&
      error.line === 2 &&
      /op\.create_index\(postgresql_with=\.\.\.\) is not one Strata ports/.test(error.message),
  )
  assert.throws(
    () =>
      port(
        "op.add_column('t', sa.Column('a', sa.Integer(), sqlite_on_conflict_not_null='FAIL', info={}, weird=1))",
      ),
    (error: unknown) => error instanceof NotPortable && /sa\.Column\(weird=\.\.\.\)/.test(error.message),
  )
})
