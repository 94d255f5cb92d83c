import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkBackfillOptions } from '../../src/ops/backfill.js'
import { renderColumn } from '../../src/ops/column.js'
import { MigrationOp } from '../../src/ops/migration-op.js'
import { OpArgumentError } from '../../src/ops/op-arguments.js'
import {
  renderAddEnumValue,
  renderAlterColumn,
  renderCreateCheckConstraint,
  renderCreateForeignKey,
  renderCreateIndex,
  renderCreateTable,
  renderDropTable,
} from '../../src/ops/render-ddl.js'
import { OfflineExecutor } from '../../src/ops/sql-executor.js'
import { sql, sqlValue } from '../../src/ops/sql-fragments.js'

/** An op that renders SQL without a database, as `--sql` does. */
function offlineOp(): MigrationOp {
  return new MigrationOp(new OfflineExecutor(), {
    revision: 'a1',
    file: 'a1.ts',
    direction: 'up',
    args: {},
    runtime: { maxReplicaLagMb: undefined, replicaLagTimeoutMs: 600_000 },
  })
}

/** Asserts that `render` refuses its arguments with a message and hint matching these. */
function refused(render: () => unknown, message: RegExp, hint?: RegExp): void {
  assert.throws(render, (error: unknown) => {
    assert.ok(error instanceof OpArgumentError, `an OpArgumentError, not ${String(error)}`)
    assert.match(error.message, message)
    if (hint) assert.match(error.hint, hint)
    return true
  })
}

test('an unknown column option is refused, with the word other tools use mapped to the op API', () => {
  refused(
    () => renderColumn({ name: 'email', type: 'text', notNull: true } as never, "createTable('users')"),
    /^createTable\('users'\), column email: unknown option notNull \(did you mean nullable: false\?\)$/,
    /the options it knows: name, type, nullable, default/,
  )
  refused(
    () => renderColumn({ name: 'id', type: 'bigint', autoIncrement: true } as never),
    /unknown option autoIncrement \(did you mean identity: true/,
  )
  // A plain typo gets the closest key.
  refused(() => renderColumn({ name: 'x', type: 'int', nulable: false } as never), /did you mean nullable\?/)
})

test("a yes-or-no option given as a string is refused: { nullable: 'false' } would mean true", () => {
  refused(
    () => renderAlterColumn('users', 'email', { nullable: 'no' } as never),
    /^alterColumn\('users', 'email'\): nullable must be true or false, found the string "no"$/,
    /\{ nullable: 'false' \} would mean true/,
  )
  refused(
    () => renderColumn({ name: 'a', type: 'int', nullable: 'false' } as never, "createTable('t')"),
    /^createTable\('t'\), column a: nullable must be true or false, found the string "false"$/,
  )
  refused(
    () => renderCreateIndex('ix', 'users', ['a'], { unique: 'false' } as never),
    /createIndex\('ix'\): unique must be true or false/,
  )
  // primaryKey is not a flag everywhere: createTable takes the key's columns.
  assert.match(
    renderCreateTable('t', [{ name: 'a', type: 'int' }], { primaryKey: ['a'] }).join('\n'),
    /PRIMARY KEY \("a"\)/,
  )
  assert.deepEqual(renderAlterColumn('users', 'email', { nullable: false }), [
    'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL',
  ])
})

test('op.execute needs its SQL as a string and its parameters as an array', async () => {
  const op = offlineOp()
  await assert.rejects(
    op.execute(undefined as never),
    /^OpArgumentError: execute: the SQL must be a non-empty string, found nothing$/,
  )
  await assert.rejects(
    op.execute(42 as never),
    /execute: the SQL must be a non-empty string, found number 42/,
  )
  await assert.rejects(
    op.execute('SELECT $1', 5 as never),
    /execute: the parameters must be an array, found number 5/,
  )
})

test('names, columns, conditions and numbers of the wrong kind are refused by name, not as a TypeError (or a loop without end)', async () => {
  refused(
    () => renderDropTable(undefined as never),
    /a table \(or index, type\) name must be a string .*, found nothing/,
  )
  refused(
    () => renderCreateIndex('ix', 'users', [42] as never),
    /a column name must be a non-empty string, found number 42/,
  )
  refused(
    () => renderCreateCheckConstraint('ck', 'users', undefined as never),
    /createCheckConstraint\('ck'\): the condition must be an SQL expression .*found nothing/,
  )
  refused(
    () => renderAddEnumValue('mood', 42 as never),
    /addEnumValue\('mood'\): the value must be a non-empty string, found number 42/,
  )
  refused(
    () =>
      checkBackfillOptions({
        table: 'users',
        set: { a: '1' },
        where: 'a IS NULL',
        batchSize: '1000',
      } as never),
    /backfill\('users'\): batchSize must be a whole number from 1, found the string "1000"/,
  )
  const op = offlineOp()
  await assert.rejects(
    op.bulkInsert('users', {} as never),
    /the rows must be an array of objects, found an object/,
  )
  await assert.rejects(
    op.bulkInsert('users', [{ a: 1 }], { batchSize: 0 }),
    /batchSize must be a whole number from 1, found number 0/,
  )
})

test('a column needs a name and a type, as strings', () => {
  refused(
    () => renderColumn({ name: 'x' } as never),
    /column x: type must be a non-empty string, found nothing/,
  )
  refused(() => renderColumn({ type: 'int' } as never), /name must be a non-empty string, found nothing/)
  refused(() => renderColumn('email text' as never, "addColumn('users')"), /a column must be an object/)
})

test("references: node-pg-migrate's string forms and the object form", () => {
  assert.equal(
    renderColumn({ name: 'user_id', type: 'bigint', references: 'users' }),
    '"user_id" bigint REFERENCES "users"',
  )
  assert.equal(
    renderColumn({ name: 'user_id', type: 'bigint', references: 'app.users(id)' }),
    '"user_id" bigint REFERENCES "app"."users" ("id")',
  )
  assert.equal(
    renderColumn({
      name: 'user_id',
      type: 'bigint',
      references: { table: 'users', onDelete: 'cascade', onUpdate: 'restrict' },
    }),
    '"user_id" bigint REFERENCES "users" ON DELETE CASCADE ON UPDATE RESTRICT',
  )
  refused(
    () => renderColumn({ name: 'user_id', type: 'bigint', references: 'users id' }),
    /references 'users id' is not a table name or table\(column\)/,
  )
  refused(
    () =>
      renderColumn({
        name: 'user_id',
        type: 'bigint',
        references: { table: 'users', ondelete: 'CASCADE' } as never,
      }),
    /column user_id, references: unknown option ondelete \(did you mean onDelete\?\)/,
  )
  refused(
    () =>
      renderColumn({
        name: 'user_id',
        type: 'bigint',
        references: { table: 'users', onDelete: 'DROP' as never },
      }),
    /"DROP" is not a referential action/,
    /CASCADE, SET NULL/,
  )
})

test('a string that reads as SQL is refused where it would become a literal; op.sql and plain values pass', () => {
  for (const text of [
    'now()',
    'NOW()',
    'gen_random_uuid()',
    'CURRENT_TIMESTAMP',
    'pg_catalog.now()',
    "nextval('s')",
  ])
    refused(() => sqlValue(text), /would be written as a value, not evaluated as SQL/, /write op\.sql\(/)
  assert.equal(sqlValue(sql('now()')), 'now()')
  assert.equal(sqlValue('active'), "'active'")
  assert.equal(sqlValue('pending (manual)'), "'pending (manual)'")
  assert.equal(sqlValue('now'), "'now'")
})

test('index options: a mistyped one is refused; where and expressions take strings too', () => {
  refused(
    () => renderCreateIndex('ix_users_email', 'users', ['email'], { concurrent: true } as never),
    /^createIndex\('ix_users_email'\): unknown option concurrent \(did you mean concurrently: true\?\)$/,
  )
  refused(
    () => renderCreateIndex('ix', 'users', 'email' as never),
    /the columns must be an array, found the string "email"/,
  )
  assert.equal(
    renderCreateIndex('ix_active', 'users', [], {
      expressions: ['lower(email)'],
      where: 'deleted_at IS NULL',
    }),
    'CREATE INDEX "ix_active" ON "users" ((lower(email))) WHERE deleted_at IS NULL',
  )
})

test('the other renderers check their options too', () => {
  refused(
    () => renderDropTable('users', { if_exists: true } as never),
    /dropTable\('users'\): unknown option if_exists \(did you mean ifExists\?\)/,
  )
  refused(() => renderCreateTable('users', []), /the columns must be a non-empty array/)
  refused(
    () => renderCreateTable('users', [{ name: 'id', type: 'int' }], { primary_key: ['id'] } as never),
    /unknown option primary_key \(did you mean primaryKey\?\)/,
  )
  refused(
    () => renderAlterColumn('users', 'age', { setType: 'bigint' } as never),
    /alterColumn\('users', 'age'\): unknown option setType/,
  )
  assert.deepEqual(renderAlterColumn('users', 'age', { type: 'bigint', using: 'age::bigint' }), [
    'ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint USING age::bigint',
  ])
  refused(
    () => renderCreateForeignKey('fk', 'orders', 'users', ['user_id'], ['id'], { not_valid: true } as never),
    /unknown option not_valid \(did you mean notValid\?\)/,
  )
  refused(
    () => renderCreateForeignKey('fk', 'orders', 'users', 'user_id' as never, ['id']),
    /the columns must be a non-empty array of column names, found the string "user_id"/,
  )
})

test("createIndex called without its name (node-pg-migrate's order) says so and writes the call with a name", () => {
  refused(
    () => renderCreateIndex('users', ['email'] as never, { unique: true } as never),
    /^createIndex\('users', \['email'\]\): the index name comes first, then the table$/,
    /^op\.createIndex\('ix_users_email', 'users', \['email'\], \{ unique: true \}\)$/,
  )
  refused(
    () => renderCreateIndex('orders', ['user_id', 'placed_at'] as never, undefined as never),
    /the index name comes first/,
    /^op\.createIndex\('ix_orders_user_id_placed_at', 'orders', \['user_id', 'placed_at'\]\)$/,
  )
})

test("an object default is JSON for json and jsonb columns; on any other it is refused with op.sql's form", () => {
  refused(
    () =>
      renderColumn(
        { name: 'created_at', type: 'timestamptz', default: { sql: 'now()' } } as never,
        "createTable('events')",
      ),
    /createTable\('events'\), column created_at: the default \{"sql":"now\(\)"\} would be written as that JSON text into a timestamptz column/,
  )
  assert.throws(
    () => renderColumn({ name: 'label', type: 'text', default: { raw: "'none'" } } as never),
    (error: OpArgumentError) => /default: op\.sql\("'none'"\)/.test(error.hint ?? ''),
  )
  // A json or jsonb column takes one as its value (render-ddl's tests show the forms accepted).
  assert.equal(
    renderColumn({ name: 'meta', type: 'json', default: { a: 1 } }),
    `"meta" json DEFAULT '{"a":1}'`,
  )
})
