import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { type RollbackReportFacts, writeRollbackReport } from '../../src/deploy/rollback-report.js'
import { tempDir } from '../helpers/temp-dir.js'

const facts = (database: string): RollbackReportFacts => ({
  at: new Date(2026, 11, 2, 7, 20, 5),
  database,
  operator: 'ops@host',
  migrations: [{ revision: 'abc123', file: 'migrations/versions/abc123_add_preferences.sql' }],
  reason: 'the health check failed',
  rootCause: ['connection to postgresql://app:s3cret@db/app refused'],
  fromRows: ['prev01'],
  timeline: [],
  outcome: {
    ok: true,
    method: 'downgrade',
    actions: [],
    downgradeError: undefined,
    restoreError: undefined,
    dataBackupId: undefined,
    keptAs: undefined,
    rowsAfter: ['prev01'],
  },
})

test('two rollbacks in the same second each keep their own report; secrets are masked', (t) => {
  const directory = tempDir(t)
  const first = writeRollbackReport(directory, facts('billing'))
  const second = writeRollbackReport(directory, facts('accounts'))
  assert.deepEqual(readdirSync(directory).sort(), [
    'rollback_20261202_072005.md',
    'rollback_20261202_072005_2.md',
  ])
  assert.match(readFileSync(first, 'utf8'), /billing/)
  assert.match(readFileSync(second, 'utf8'), /accounts/)
  assert.doesNotMatch(readFileSync(first, 'utf8'), /s3cret/)
})
