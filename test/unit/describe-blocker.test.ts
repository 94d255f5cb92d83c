import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeBlocker } from '../../src/runner/lock-watcher.js'
import { describeStatementProgress } from '../../src/runner/statement-progress.js'

test('a blocker is one line: its facts, then its query on one line without the final semicolon', () => {
  assert.equal(
    describeBlocker({
      pid: 3026,
      user: 'app',
      application: 'psql',
      state: 'active',
      transactionAgeMs: 6400,
      query: 'BEGIN;\n  SELECT count(*) FROM users;\n  SELECT pg_sleep(25); COMMIT;',
    }),
    'pid 3026 (user app, psql, active, transaction open 6.4s): BEGIN; SELECT count(*) FROM users; SELECT pg_sleep(25); COMMIT',
  )
  assert.equal(
    describeBlocker({
      pid: 7,
      user: null,
      application: null,
      state: null,
      transactionAgeMs: null,
      query: null,
    }),
    'pid 7',
  )
})

test('a long statement is described by how long it runs, an index build by its phase and share done', () => {
  assert.equal(
    describeStatementProgress({
      runningMs: 31_000,
      waitEventType: 'IO',
      waitEvent: 'DataFileRead',
      indexBuild: {
        index: 'ix_users_email',
        table: 'users',
        phase: 'building index: scanning table',
        blocksDone: 12_345,
        blocksTotal: 45_678,
        tuplesDone: 0,
        tuplesTotal: 0,
      },
    }),
    'still running after 31s: index ix_users_email on users, building index: scanning table, 12,345 of 45,678 blocks (27%)',
  )
  assert.equal(
    describeStatementProgress({ runningMs: 12_000, waitEventType: 'Lock', waitEvent: 'relation' }),
    'still running after 12s, waiting for Lock: relation',
  )
})
