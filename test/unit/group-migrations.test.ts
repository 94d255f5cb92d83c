import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ResolvedConfig } from '../../src/config/types.js'
import { canGroupMigrations } from '../../src/runner/migrate.js'
import type { Plan } from '../../src/runner/plan.js'

const lock = (statementTimeout: number) =>
  ({
    timeout: 5000,
    statementTimeout,
    retries: 3,
    retryDelay: 100,
    maxRetryDelay: 1000,
  }) as ResolvedConfig['lock']
const plan = (...statementTimeouts: (number | undefined)[]) =>
  ({
    steps: statementTimeouts.map((statementTimeout) => ({ meta: { statementTimeout } })),
  }) as unknown as Plan

test('migrations share round trips from PostgreSQL 13 on, and before it only without a statement timeout', () => {
  assert.equal(canGroupMigrations(160004, plan(undefined, 30_000), lock(60_000)), true)
  assert.equal(canGroupMigrations(130000, plan(undefined), lock(60_000)), true)
  assert.equal(canGroupMigrations(120019, plan(undefined, undefined), lock(0)), true)
  assert.equal(canGroupMigrations(120019, plan(undefined), lock(60_000)), false, 'the config sets one')
  assert.equal(canGroupMigrations(120019, plan(undefined, 30_000), lock(0)), false, 'a migration sets one')
})
