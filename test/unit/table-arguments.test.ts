import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseTablePattern, resolveTableArguments } from '../../src/backup/table-arguments.js'
import { UsageError } from '../../src/errors/index.js'

const HELD = [
  'public.users',
  'public.orders',
  'public.Events',
  'audit.users',
  'audit.audit_log',
  'audit.audit_2024',
]

test('-t values fold to lower case outside double quotes, as pg_dump reads them', () => {
  assert.deepEqual(resolveTableArguments(['Orders'], HELD, 'b1'), ['public.orders'])
  assert.deepEqual(resolveTableArguments(['PUBLIC.ORDERS'], HELD, 'b1'), ['public.orders'])
  assert.deepEqual(resolveTableArguments(['"Events"'], HELD, 'b1'), ['public.Events'])
  assert.deepEqual(resolveTableArguments(['public."Events"'], HELD, 'b1'), ['public.Events'])
})

test('wildcards match the tables the backup holds; a name given twice is restored once', () => {
  assert.deepEqual(resolveTableArguments(['audit.audit_*'], HELD, 'b1'), [
    'audit.audit_log',
    'audit.audit_2024',
  ])
  assert.deepEqual(resolveTableArguments(['audit_20??', 'audit.audit_2024'], HELD, 'b1'), [
    'audit.audit_2024',
  ])
  assert.deepEqual(resolveTableArguments(['*.users'], HELD, 'b1'), ['public.users', 'audit.users'])
  // Quoted, a star is a character of the name, not a wildcard.
  assert.throws(
    () => resolveTableArguments(['"audit_*"'], HELD, 'b1'),
    /holds no table matching -t "audit_\*"/,
  )
})

test('a plain name held in two schemas is refused with the qualified names to pick from', () => {
  assert.throws(
    () => resolveTableArguments(['users'], HELD, 'b1'),
    (error: unknown) =>
      error instanceof UsageError &&
      /-t users names tables in 2 schemas of backup b1 \(public\.users, audit\.users\); nothing was changed/.test(
        error.message,
      ) &&
      /-t public\.users/.test(error.hint ?? ''),
  )
})

test('a name that differs only in case is pointed at, quoted as the shell and pg_dump need it', () => {
  assert.throws(
    () => resolveTableArguments(['events'], HELD, 'b1'),
    (error: unknown) =>
      error instanceof UsageError &&
      /backup b1 holds no table matching -t events; nothing was changed/.test(error.message) &&
      (error.hint ?? '').includes(`-t 'public."Events"'`),
  )
  assert.throws(
    () => resolveTableArguments(['invoices'], HELD, 'b1'),
    (error: unknown) => error instanceof UsageError && /it holds public\.users, /.test(error.hint ?? ''),
  )
})

test('a schema-only backup records no names: exact names pass folded, patterns are refused', () => {
  assert.deepEqual(resolveTableArguments(['Users', 'Billing."Invoices"'], [], 'b1'), [
    'users',
    'billing.Invoices',
  ])
  assert.throws(
    () => resolveTableArguments(['audit_*'], [], 'b1'),
    /records no table names \(it is schema-only\)/,
  )
})

test('malformed -t values are bad input naming what is wrong', () => {
  assert.throws(() => parseTablePattern('"Users'), /-t "Users has a double quote that is not closed/)
  assert.throws(() => parseTablePattern('db.public.users'), /has more than one dot/)
  assert.throws(() => parseTablePattern('public.'), /has an empty schema or table name/)
  assert.equal(parseTablePattern('"my.table"').schema, undefined)
  assert.equal(parseTablePattern('"a""b"').table.exact, 'a"b')
})
