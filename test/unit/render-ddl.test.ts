import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderColumn } from '../../src/ops/column.js'
import {
  renderAddColumn,
  renderAddEnumValue,
  renderAlterColumn,
  renderBulkInsert,
  renderCreateCheckConstraint,
  renderCreateEnum,
  renderCreateForeignKey,
  renderCreateIndex,
  renderCreateTable,
  renderCreateUniqueConstraint,
  renderDropIndex,
} from '../../src/ops/render-ddl.js'
import { sql } from '../../src/ops/sql-fragments.js'

test('columns in the guide vocabulary', () => {
  assert.equal(
    renderColumn({ name: 'id', type: 'bigint', primaryKey: true, identity: true }),
    '"id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL PRIMARY KEY',
  )
  assert.equal(renderColumn({ name: 'email', type: 'text', nullable: false }), '"email" text NOT NULL')
  assert.equal(
    renderColumn({ name: 'prefs', type: 'jsonb', nullable: false, default: {} }),
    `"prefs" jsonb NOT NULL DEFAULT '{}'`,
  )
  assert.equal(
    renderColumn({ name: 'at', type: 'timestamptz', default: sql('now()') }),
    '"at" timestamptz DEFAULT now()',
  )
  assert.equal(renderColumn({ name: 'note', type: 'text', default: "it's" }), `"note" text DEFAULT 'it''s'`)
  assert.equal(
    renderColumn({
      name: 'user_id',
      type: 'bigint',
      references: { table: 'app.users', column: 'id', onDelete: 'CASCADE' },
    }),
    '"user_id" bigint REFERENCES "app"."users" ("id") ON DELETE CASCADE',
  )
  assert.throws(() => renderColumn({ name: 'x', type: 'int; DROP TABLE users' }), /is not a type name/)
})

test('identifiers are always quoted, including hostile ones', () => {
  assert.deepEqual(
    renderCreateTable('user', [
      { name: 'select', type: 'int' },
      { name: 'we"ird', type: 'text' },
    ]),
    ['CREATE TABLE "user" (\n  "select" int,\n  "we""ird" text\n)'],
  )
  assert.equal(
    renderAddColumn('users', { name: 'age', type: 'integer' }, { ifNotExists: true }),
    'ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "age" integer',
  )
})

test('alterColumn makes one ALTER TABLE of the changes, and the rename on its own', () => {
  assert.deepEqual(
    renderAlterColumn('users', 'age', {
      type: 'bigint',
      using: sql('age::bigint'),
      nullable: false,
      default: 0,
    }),
    [
      'ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint USING age::bigint, ALTER COLUMN "age" SET NOT NULL, ALTER COLUMN "age" SET DEFAULT 0',
    ],
  )
  assert.deepEqual(
    renderAlterColumn('users', 'age_new', { newName: 'age', default: null, comment: 'years' }),
    [
      'ALTER TABLE "users" ALTER COLUMN "age_new" DROP DEFAULT',
      `COMMENT ON COLUMN "users"."age_new" IS 'years'`,
      'ALTER TABLE "users" RENAME COLUMN "age_new" TO "age"',
    ],
  )
})

test('indexes: unique, partial, include, method, concurrently, expressions', () => {
  assert.equal(
    renderCreateIndex('ix_users_email', 'users', ['email'], {
      unique: true,
      concurrently: true,
      ifNotExists: true,
      where: sql('deleted_at IS NULL'),
      include: ['name'],
    }),
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "ix_users_email" ON "users" ("email") INCLUDE ("name") WHERE deleted_at IS NULL',
  )
  assert.equal(
    renderCreateIndex('ix_docs', 'docs', [], {
      using: 'gin',
      expressions: [sql("to_tsvector('english', body)")],
    }),
    `CREATE INDEX "ix_docs" ON "docs" USING gin ((to_tsvector('english', body)))`,
  )
  // An op.sql() among the columns is an expression in its place (Alembic's text()).
  assert.equal(
    renderCreateIndex('ix_users_tenant_email', 'users', ['tenant_id', sql('lower(email)')], { unique: true }),
    'CREATE UNIQUE INDEX "ix_users_tenant_email" ON "users" ("tenant_id", (lower(email)))',
  )
  assert.equal(
    renderDropIndex('app.ix', { concurrently: true, ifExists: true }),
    'DROP INDEX CONCURRENTLY IF EXISTS "app"."ix"',
  )
})

test('constraints: NOT VALID foreign keys and checks, USING INDEX uniques', () => {
  assert.equal(
    renderCreateForeignKey('fk_child_parent_id', 'child_table', 'parent_table', ['parent_id'], ['id'], {
      onDelete: 'cascade',
      notValid: true,
    }),
    'ALTER TABLE "child_table" ADD CONSTRAINT "fk_child_parent_id" FOREIGN KEY ("parent_id") REFERENCES "parent_table" ("id") ON DELETE CASCADE NOT VALID',
  )
  assert.equal(
    renderCreateCheckConstraint('ck_age', 'users', sql('age >= 0'), { notValid: true }),
    'ALTER TABLE "users" ADD CONSTRAINT "ck_age" CHECK (age >= 0) NOT VALID',
  )
  assert.equal(
    renderCreateUniqueConstraint('uq_users_email', 'users', [], { usingIndex: 'ix_users_email' }),
    'ALTER TABLE "users" ADD CONSTRAINT "uq_users_email" UNIQUE USING INDEX "ix_users_email"',
  )
  assert.throws(
    () => renderCreateForeignKey('fk', 'a', 'b', ['x'], ['id'], { onDelete: 'explode' as 'CASCADE' }),
    /not a referential action/,
  )
})

test('enums and bulk inserts', () => {
  assert.equal(renderCreateEnum('mood', ['sad', "o'k"]), `CREATE TYPE "mood" AS ENUM ('sad', 'o''k')`)
  assert.equal(
    renderAddEnumValue('mood', 'happy', { after: 'sad', ifNotExists: true }),
    `ALTER TYPE "mood" ADD VALUE IF NOT EXISTS 'happy' AFTER 'sad'`,
  )
  assert.deepEqual(renderBulkInsert('users', [{ id: 1, email: 'a' }, { id: 2 }]), {
    text: 'INSERT INTO "users" ("id", "email") VALUES ($1, $2), ($3, DEFAULT)',
    values: [1, 'a', 2],
  })
})
