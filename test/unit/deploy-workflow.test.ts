import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isAcknowledged } from '../../src/deploy/preflight/safety-findings.js'
import { productionLogLine } from '../../src/deploy/production-log.js'
import { renderRollbackReport, resolutionOf } from '../../src/deploy/rollback-report.js'
import { UsageError } from '../../src/errors/index.js'
import { limitToPhase } from '../../src/runner/phase.js'
import { planUpgrade } from '../../src/runner/plan.js'
import { graphOf, meta } from '../helpers/graph-fixtures.js'

const release = () =>
  graphOf(
    meta('a'),
    meta('b', ['a'], { phase: 'expand' }),
    meta('c', ['b'], { phase: 'migrate' }),
    meta('d', ['c'], { phase: 'contract', message: 'drop old column' }),
    meta('e', ['d'], { phase: 'expand' }),
  )
const revisions = (steps: readonly { revision: string }[]) => steps.map((step) => step.revision)

test('the expand phase stops before the first contract migration and says what waits', () => {
  const { plan, held } = limitToPhase(planUpgrade(release(), ['a'], 'head'), 'expand')
  assert.deepEqual(revisions(plan.steps), ['b', 'c'])
  assert.deepEqual(plan.rowsAfter, ['c'])
  assert.deepEqual(revisions(held), ['d', 'e'])

  const nothing = limitToPhase(planUpgrade(release(), ['c'], 'head'), 'expand')
  assert.deepEqual(nothing.plan.steps, [])
  assert.deepEqual(nothing.plan.rowsAfter, ['c'])
  assert.match(
    nothing.plan.note!,
    /nothing to apply in the expand phase: 2 migrations wait for --phase contract, starting with d \(drop old column\)/,
  )
})

test('the contract phase runs the rest, and refuses while earlier migrations are pending', () => {
  const { plan, held } = limitToPhase(planUpgrade(release(), ['c'], 'head'), 'contract')
  assert.deepEqual(revisions(plan.steps), ['d', 'e'])
  assert.deepEqual(held, [])
  assert.throws(
    () => limitToPhase(planUpgrade(release(), ['a'], 'head'), 'contract'),
    (error: unknown) =>
      error instanceof UsageError &&
      /2 migrations before the first contract migration d are not applied yet \(b, c\)/.test(error.message),
  )
  assert.deepEqual(revisions(limitToPhase(planUpgrade(release(), ['a'], 'head'), 'all').plan.steps), [
    'b',
    'c',
    'd',
    'e',
  ])
})

test('acknowledgements match a rule everywhere, or a rule in one migration by revision prefix', () => {
  assert.equal(isAcknowledged(['unbatched-update'], '4c1d2e3f', 'unbatched-update'), true)
  assert.equal(isAcknowledged(['4c1d:unbatched-update'], '4c1d2e3f', 'unbatched-update'), true)
  assert.equal(isAcknowledged(['4c1d:unbatched-update'], '9a9a9a9a', 'unbatched-update'), false)
  assert.equal(isAcknowledged(['4c1d:unbatched-update'], '4c1d2e3f', 'drop-column'), false)
  assert.equal(
    isAcknowledged(['4c:unbatched-update'], '4c1d2e3f', 'unbatched-update'),
    false,
    'prefixes need 4 characters',
  )
  assert.equal(isAcknowledged([], '4c1d2e3f', 'drop-column'), false)
})

test('the production log line names who, what moved where, how long, and the backup', () => {
  const line = productionLogLine({
    at: new Date(2025, 10, 26, 10, 0, 9),
    action: 'deploy',
    database: 'assistant on db:5432',
    operator: 'ana@ops1',
    from: [],
    to: ['4c1d2e'],
    migrations: 6,
    phase: 'expand',
    upgradeMs: 1200,
    totalMs: 8400,
    backup: 'assistant_20251126_100001',
    outcome: 'deployed',
    report: undefined,
  })
  assert.equal(
    line,
    '[2025-11-26 10:00:09] deploy assistant on db:5432 by ana@ops1: base -> 4c1d2e (6 migrations, phase expand); upgrade 1.2s, total 8.4s; backup assistant_20251126_100001; deployed',
  )
})

test('the rollback report carries the guide sections, filled from what happened', () => {
  const facts = {
    at: new Date(2025, 10, 26, 10, 5, 0),
    database: 'assistant on db:5432',
    operator: 'ana@ops1',
    migrations: [{ revision: 'abc123', file: '/srv/migrations/versions/abc123_add_user_sessions.ts' }],
    reason: 'the upgrade failed: relation "users" does not exist',
    rootCause: ['relation "users" does not exist', 'SQLSTATE 42P01'],
    fromRows: ['previous123'],
    timeline: ['Deploy started by ana@ops1'],
    outcome: {
      ok: false,
      method: 'restore' as const,
      actions: [
        'Attempted rollback via `strata downgrade previous123`: failed: boom',
        'Restore of x failed: disk full',
      ],
      downgradeError: 'boom',
      dataBackupId: undefined,
      restoreError: 'disk full',
      keptAs: undefined,
      rowsAfter: ['abc123'],
    },
  }
  const report = renderRollbackReport(facts)
  for (const section of [
    '# Rollback Report',
    '**Date**',
    '**Migration**: abc123_add_user_sessions',
    '**Reason**: the upgrade failed',
    '## Actions Taken',
    '## Root Cause',
    '## Prevention',
  ])
    assert.ok(report.includes(section), `missing ${section}`)
  assert.match(
    report,
    /1\. Deploy started by ana@ops1\n2\. Attempted rollback via `strata downgrade previous123`: failed: boom\n3\. Restore of x failed: disk full/,
  )
  assert.match(report, / {4}SQLSTATE 42P01/)
  assert.equal(resolutionOf(facts), 'NOT resolved: the database needs a person. disk full')
})
