import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DatabaseFailure } from '../../src/runner/describe-failure.js'
import { violationHint } from '../../src/runner/violation-hints.js'

function failure(fields: Partial<DatabaseFailure>): DatabaseFailure {
  return {
    code: undefined,
    message: '',
    detail: undefined,
    hint: undefined,
    position: undefined,
    table: undefined,
    schema: 'public',
    column: undefined,
    constraint: undefined,
    ...fields,
  }
}

test('duplicates under a new unique constraint: the query that lists them and the recipe', () => {
  const hint = violationHint(
    failure({
      code: '23505',
      message: 'could not create unique index "users_email_key"',
      detail: 'Key (lower(email))=(ada@example.com) is duplicated.',
      table: 'users',
    }),
  )
  assert.equal(
    hint,
    'rows of "users" already hold duplicates of (lower(email)), e.g. (ada@example.com). List them: SELECT lower(email), count(*) FROM "users" GROUP BY lower(email) HAVING count(*) > 1; remove or merge them in a step before the constraint, or in TS use op.dedupeAndAddUnique, which sets the duplicates aside in a table of their own',
  )
  const inserted = violationHint(
    failure({ code: '23505', detail: 'Key (id)=(1) already exists.', table: 'users', schema: 'billing' }),
  )
  assert.match(inserted!, /^a row of "billing"\."users" with \(id\) = \(1\) already exists: .*ON CONFLICT/)
})

test('NULLs under SET NOT NULL, NULL written by a data step, orphans under a foreign key, rows breaking a check', () => {
  assert.match(
    violationHint(
      failure({
        code: '23502',
        message: 'column "nick" of relation "users" contains null values',
        table: 'users',
        column: 'nick',
      }),
    )!,
    /^"users"\."nick" has NULLs .*UPDATE "users" SET "nick" = \.\.\. WHERE "nick" IS NULL.*op\.addNotNullColumn/,
  )
  assert.equal(
    violationHint(
      failure({
        code: '23502',
        message: 'null value in column "nick" of relation "users" violates not-null constraint',
        table: 'users',
        column: 'nick',
      }),
    ),
    'the statement writes NULL into "users"."nick": give it a value, or the column a DEFAULT',
  )
  assert.match(
    violationHint(
      failure({
        code: '23503',
        detail: 'Key (user_id)=(99) is not present in table "users".',
        table: 'orders',
        constraint: 'orders_user_fk',
      }),
    )!,
    /^rows of "orders" reference rows that do not exist, e\.g\. \(user_id\) = \(99\), which is not present in table "users": .*NOT VALID.*op\.addForeignKeySafely/,
  )
  assert.match(
    violationHint(failure({ code: '23514', table: 'orders', constraint: 'orders_total_check' }))!,
    /^rows of "orders" break the check "orders_total_check": list them with SELECT \* FROM "orders" WHERE NOT/,
  )
})

test('a statement writing rows that a foreign key or check refuses is told to change the data, not the constraint', () => {
  const orphan = failure({
    code: '23503',
    message: 'insert or update on table "orders" violates foreign key constraint "orders_user_id_fkey"',
    detail: 'Key (user_id)=(42) is not present in table "users".',
    table: 'orders',
  })
  assert.equal(
    violationHint(orphan, 'INSERT INTO orders (user_id, total) VALUES (42, 1)'),
    'the statement writes "orders" rows with (user_id) = (42), which is not present in table "users": insert the referenced rows first (in an earlier statement or migration), or write values that exist',
  )
  // The same error while a constraint is added is about the rows already there.
  assert.match(
    violationHint(orphan, 'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users')!,
    /NOT VALID/,
  )
  // At VALIDATE the key is already NOT VALID: only the old rows need fixing, then a re-run.
  const atValidate = violationHint(
    orphan,
    'ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "fk_orders_user"',
  )!
  assert.match(atValidate, /delete or fix those rows, then run the command again/)
  assert.doesNotMatch(atValidate, /add the key NOT VALID/)
  assert.match(
    violationHint(
      failure({ code: '23514', table: 'orders', constraint: 'ck_total' }),
      'ALTER TABLE orders VALIDATE CONSTRAINT ck_total',
    )!,
    /"ck_total": list them .*, fix them, then run the command again/,
  )
  assert.equal(
    violationHint(
      failure({
        code: '23503',
        detail: 'Key (id)=(7) is still referenced from table "orders".',
        table: 'users',
      }),
      '/* retire test users */ DELETE FROM users WHERE id = 7',
    ),
    'rows of table "orders" still reference the "users" row with (id) = (7) that the statement deletes or changes: delete or re-point them first, in an earlier statement',
  )
  assert.equal(
    violationHint(
      failure({
        code: '23514',
        detail: 'Failing row contains (3, -5).',
        table: 'orders',
        constraint: 'orders_total_check',
      }),
      'WITH moved AS (SELECT 1) UPDATE orders SET total = -5',
    ),
    'the statement writes a row of "orders" that breaks the check "orders_total_check" (Failing row contains (3, -5)): write values the check accepts',
  )
})

test('other failures, or none naming a table, get no violation hint', () => {
  assert.equal(violationHint(failure({ code: '42601', table: undefined })), undefined)
  assert.equal(violationHint(failure({ code: '23505', table: undefined })), undefined)
  assert.equal(violationHint(failure({ code: '42P01', table: 'users' })), undefined)
})
