import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderAlembicCallSteps } from '../../src/adopt/alembic/alembic-ops.js'
import { readFunctionBody } from '../../src/adopt/alembic/python-calls.js'
import { NotPortable } from '../../src/adopt/alembic/python-values.js'

/** The SQL an upgrade() body of these lines ports to. */
function port(...lines: string[]): string[] {
  const body = readFunctionBody(
    `def upgrade():\n${lines.map((line) => `    ${line}`).join('\n')}\n`,
    'upgrade',
  )
  assert.ok(body !== undefined && 'calls' in body, JSON.stringify(body))
  return renderAlembicCallSteps(body.calls).map((step) => step.sql)
}

test("Alembic operations' keywords become their SQL: IF [NOT] EXISTS, INCLUDE, DEFERRABLE, comments", () => {
  assert.deepEqual(
    port(
      "op.create_index('ix_orders_user', 'orders', ['user_id'], postgresql_include=['total'], if_not_exists=True)",
      "op.drop_index('ix_old', table_name='orders', if_exists=True)",
      "op.create_foreign_key('fk_o_u', 'orders', 'users', ['user_id'], ['id'], ondelete='SET NULL', deferrable=True, initially='deferred', match='full')",
      "op.alter_column('orders', 'total', comment='in cents', existing_type=sa.Integer())",
      "op.create_table_comment('orders', 'what people bought')",
      "op.drop_constraint('ck_old', 'orders', type_='check', if_exists=True)",
      "op.add_column('orders', sa.Column('note', sa.Text()), if_not_exists=True)",
    ),
    [
      'CREATE INDEX IF NOT EXISTS ix_orders_user ON orders (user_id) INCLUDE (total);',
      'DROP INDEX IF EXISTS ix_old;',
      'ALTER TABLE orders ADD CONSTRAINT fk_o_u FOREIGN KEY (user_id) REFERENCES users (id) MATCH FULL ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;',
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

test('enum types as Alembic makes them: create_table creates each once, add_column none, create_type only on postgresql.ENUM, .create/.drop(op.get_bind())', () => {
  assert.deepEqual(
    port(
      "op.create_table('a', sa.Column('k', sa.Enum('x', 'y', name='kind')), sa.Column('k2', sa.Enum('x', 'y', name='kind')))",
      "op.create_table('b', sa.Column('k', sa.Enum('x', 'y', name='kind', create_type=False)), sa.Column('m', postgresql.ENUM('p', name='mode', create_type=False)))",
      "op.add_column('a', sa.Column('s', sa.Enum('on', 'off', name='switch')))",
    ),
    [
      "CREATE TYPE kind AS ENUM ('x', 'y');",
      'CREATE TABLE a (\n    k kind,\n    k2 kind\n);',
      'CREATE TABLE b (\n    k kind,\n    m mode\n);',
      'ALTER TABLE a ADD COLUMN s switch;',
    ],
  )
  assert.deepEqual(
    port(
      "sa.Enum('on', 'off', name='switch').create(op.get_bind())",
      "postgresql.ENUM('p', name='mode').create(op.get_bind(), checkfirst=True)",
      "sa.Enum(name='switch').drop(op.get_bind())",
      "postgresql.ENUM(name='mode').drop(op.get_bind(), checkfirst=True)",
    ),
    [
      "CREATE TYPE switch AS ENUM ('on', 'off');",
      "DO $$ BEGIN CREATE TYPE mode AS ENUM ('p'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
      'DROP TYPE switch;',
      'DROP TYPE IF EXISTS mode;',
    ],
  )
  // A bind other than op.get_bind() is code; a type to create needs its values.
  assert.throws(
    () => port("sa.Enum('a', name='e').create(bind)"),
    (error: unknown) =>
      error instanceof NotPortable && /only as \.create\(op\.get_bind\(\)\)/.test(error.message),
  )
  assert.throws(
    () => port("sa.Enum(name='e').create(op.get_bind())"),
    (error: unknown) =>
      error instanceof NotPortable && /needs its values to create the type/.test(error.message),
  )
})

test('unique=True with index=True is one unique index; sa.true() and sa.false() are boolean defaults', () => {
  assert.deepEqual(
    port(
      "op.create_table('u', sa.Column('email', sa.String(320), unique=True, index=True), sa.Column('on', sa.Boolean(), server_default=sa.true()))",
      "op.add_column('u', sa.Column('code', sa.String(8), unique=True, index=True, server_default=sa.text(\"'x'\")))",
      "op.add_column('u', sa.Column('off', sa.Boolean(), server_default=sa.false(), unique=True))",
    ),
    [
      'CREATE TABLE u (\n    email varchar(320),\n    "on" boolean DEFAULT true\n);',
      'CREATE UNIQUE INDEX ix_u_email ON u (email);',
      "ALTER TABLE u ADD COLUMN code varchar(8) DEFAULT 'x';",
      'CREATE UNIQUE INDEX ix_u_code ON u (code);',
      'ALTER TABLE u ADD COLUMN off boolean DEFAULT false UNIQUE;',
    ],
  )
})

test('postgresql_ops gives a column its operator class; one naming no column of the index is refused', () => {
  assert.deepEqual(
    port("op.create_index('ix_t', 't', ['a', 'b'], postgresql_ops={'b': 'text_pattern_ops'})"),
    ['CREATE INDEX ix_t ON t (a, b text_pattern_ops);'],
  )
  assert.throws(
    () => port("op.create_index('ix_t', 't', ['a'], postgresql_ops={'c': 'text_pattern_ops'})"),
    (error: unknown) =>
      error instanceof NotPortable && /postgresql_ops names c, not a column of the index/.test(error.message),
  )
})

test("with op.batch_alter_table('t') as batch_op: each statement is the op call with the block's table (and schema), until the block ends", () => {
  assert.deepEqual(
    port(
      "with op.batch_alter_table('orders', schema='shop') as batch_op:",
      "    batch_op.add_column(sa.Column('coupon', sa.String(16)))",
      "    batch_op.create_index(batch_op.f('ix_orders_coupon'), ['coupon'], unique=True)",
      "    batch_op.create_foreign_key('fk_o_u', 'users', ['user_id'], ['id'])",
      "    batch_op.drop_constraint(constraint_name='ck_old', type_='check')",
      '',
      "op.drop_index('ix_other', table_name='users')",
    ),
    [
      'ALTER TABLE shop.orders ADD COLUMN coupon varchar(16);',
      'CREATE UNIQUE INDEX ix_orders_coupon ON shop.orders (coupon);',
      'ALTER TABLE shop.orders ADD CONSTRAINT fk_o_u FOREIGN KEY (user_id) REFERENCES users (id);',
      'ALTER TABLE shop.orders DROP CONSTRAINT ck_old;',
      'DROP INDEX ix_other;',
    ],
  )
  // recreate='always' copies the table on PostgreSQL too: code, not ALTERs.
  const always = readFunctionBody(
    "def upgrade():\n    with op.batch_alter_table('t', recreate='always') as b:\n        b.drop_column('a')\n",
    'upgrade',
  )
  assert.deepEqual(always, {
    unsupported: { line: 2, text: "with op.batch_alter_table('t', recreate='always') as b:" },
  })
  assert.throws(
    () => port("with op.batch_alter_table('t') as b:", "    b.execute('SELECT 1')"),
    (error: unknown) =>
      error instanceof NotPortable && /batch_op\.execute\(\) is not one Strata ports/.test(error.message),
  )
})

test('alter_column to an enum names the type, as Alembic does: the migration creates it, or it exists', () => {
  assert.deepEqual(
    port(
      "op.alter_column('t', 'status', existing_type=sa.String(), type_=sa.Enum('a', 'b', name='st'), postgresql_using='status::st')",
      "op.alter_column('t', 'kind', type_=postgresql.ENUM('x', name='kd', create_type=False))",
    ),
    [
      'ALTER TABLE t ALTER COLUMN status TYPE st USING status::st;',
      'ALTER TABLE t ALTER COLUMN kind TYPE kd;',
    ],
  )
})

test("a naming_convention's tokens name constraints as SQLAlchemy does; a name it cannot make is refused", () => {
  const convention = {
    source: 'app/models.py',
    templates: {
      pk: 'pk_%(table_name)s',
      uq: 'uq_%(table_name)s_%(column_0_N_name)s',
      ck: 'ck_%(table_name)s_%(constraint_name)s',
      fk: 'fk_%(table_name)s_%(column_0N_name)s_%(referred_table_name)s_%(referred_column_0_name)s',
      ix: 'ix_%(column_0_label)s',
    },
  }
  const render = (...lines: string[]) => {
    const body = readFunctionBody(
      `def upgrade():\n${lines.map((line) => `    ${line}`).join('\n')}\n`,
      'upgrade',
    )
    assert.ok(body !== undefined && 'calls' in body)
    return renderAlembicCallSteps(body.calls, convention).map((step) => step.sql)
  }
  assert.deepEqual(
    render(
      "op.create_unique_constraint(None, 'orders', ['a', 'b'])",
      "op.create_foreign_key(None, 'orders', 'users', ['user_id', 'tenant_id'], ['id', 'tenant_id'])",
      "op.create_primary_key(op.f('orders_key'), 'orders', ['id'])",
      "op.drop_constraint('positive', 'orders', type_='check')",
      "op.drop_constraint('orders_legacy', 'orders')",
    ),
    [
      'ALTER TABLE orders ADD CONSTRAINT uq_orders_a_b UNIQUE (a, b);',
      'ALTER TABLE orders ADD CONSTRAINT fk_orders_user_idtenant_id_users_id FOREIGN KEY (user_id, tenant_id) REFERENCES users (id, tenant_id);',
      'ALTER TABLE orders ADD CONSTRAINT orders_key PRIMARY KEY (id);',
      'ALTER TABLE orders DROP CONSTRAINT ck_orders_positive;',
      'ALTER TABLE orders DROP CONSTRAINT orders_legacy;',
    ],
  )
  // Over 63 bytes: cut, and 4 hex digits of its md5, as SQLAlchemy shortens it.
  const [long] = render(`op.create_unique_constraint(None, 'orders', ['${'x'.repeat(70)}'])`)
  assert.match(long!, /^ALTER TABLE orders ADD CONSTRAINT uq_orders_x{45}_[0-9a-f]{4} UNIQUE/)
  assert.throws(
    () => render("op.create_check_constraint(None, 'orders', 'a > 0')"),
    (error: unknown) =>
      error instanceof NotPortable && /needs the check constraint to be named/.test(error.message),
  )
  // A convention built in code: what it would name is refused, not guessed.
  const unreadable = readFunctionBody(
    "def upgrade():\n    op.create_unique_constraint(None, 'orders', ['a'])\n",
    'upgrade',
  )
  assert.ok(unreadable !== undefined && 'calls' in unreadable)
  assert.throws(
    () => renderAlembicCallSteps(unreadable.calls, { source: 'app/db.py', templates: undefined }),
    (error: unknown) =>
      error instanceof NotPortable &&
      /its unique constraint is named by the project's naming_convention \(app\/db\.py\), which Strata cannot read/.test(
        error.message,
      ),
  )
})

test("an index left unnamed gets SQLAlchemy's default name even without a naming_convention", () => {
  assert.deepEqual(port("op.create_index(None, 'orders', ['ref'])"), [
    'CREATE INDEX ix_orders_ref ON orders (ref);',
  ])
})

test("a column's sa.Sequence writes no DDL, as in Alembic: a plain integer key, no SERIAL", () => {
  assert.deepEqual(
    port("op.create_table('t', sa.Column('id', sa.Integer(), sa.Sequence('t_id_seq'), primary_key=True))"),
    ['CREATE TABLE t (\n    id integer NOT NULL,\n    PRIMARY KEY (id)\n);'],
  )
})
