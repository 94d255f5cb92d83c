import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classifyArchiving } from '../../src/health/wal-archiving.js'

const facts = {
  mode: 'on',
  archivedCount: 40,
  lastArchivedWal: '000000010000000000000028',
  lastArchivedTime: '2026-11-30 10:00:00+00',
  failedCount: 0,
  lastFailedWal: null,
  lastFailedTime: null,
}

test('WAL archiving: off is no alarm; a failure newer than the last success is, with where recovery stops', () => {
  assert.equal(
    classifyArchiving({ ...facts, mode: 'off' }).summary,
    'archive_mode off (no point-in-time recovery)',
  )
  assert.deepEqual(classifyArchiving(facts), {
    status: 'ok',
    summary: 'archiving: 40 segments, the last 000000010000000000000028 at 2026-11-30 10:00:00+00',
  })
  // An old failure since recovered from is history.
  assert.equal(
    classifyArchiving({ ...facts, failedCount: 3, lastFailedTime: '2026-11-30 09:00:00+00' }).status,
    'ok',
  )
  const failing = classifyArchiving({
    ...facts,
    failedCount: 1200,
    lastFailedWal: '000000010000000000000029',
    lastFailedTime: '2026-11-30 11:30:00+00',
  })
  assert.equal(failing.status, 'warn')
  assert.equal(
    failing.summary,
    'archive_command failing since 2026-11-30 11:30:00+00 (1,200 failures, last on 000000010000000000000029)',
  )
  assert.match(failing.details![0]!, /cannot reach past 2026-11-30 10:00:00\+00/)
})
