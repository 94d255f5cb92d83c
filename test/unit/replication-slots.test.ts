import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classifySlots, SLOT_WARN_BYTES } from '../../src/health/replication-slots.js'

const slot = (
  name: string,
  active: boolean,
  retainedBytes: number | null,
  walStatus: string | null = 'reserved',
) => ({
  name,
  type: 'physical',
  active,
  retainedBytes,
  walStatus,
})

test('replication slots: fine while consumed; a warning once an inactive one holds a lot of WAL, or lost it', () => {
  assert.deepEqual(classifySlots([]), { status: 'ok', summary: 'no replication slots' })
  assert.equal(
    classifySlots([slot('standby_a', true, 5 * 1024 ** 3)]).summary,
    '1 replication slot, all active',
  )
  const briefly = classifySlots([slot('standby_a', true, 1024), slot('standby_b', false, 16 * 1024 ** 2)])
  assert.equal(briefly.status, 'ok')
  assert.match(briefly.summary, /inactive: physical slot standby_b inactive, holding 16(\.0)? MB of WAL/)

  const filling = classifySlots([slot('old_replica', false, SLOT_WARN_BYTES * 12)])
  assert.equal(filling.status, 'warn')
  assert.equal(filling.summary, '1 replication slot keeps WAL no consumer reads')
  assert.match(
    filling.details![0]!,
    /old_replica inactive, holding 12(\.0)? GB of WAL: .*SELECT pg_drop_replication_slot\('old_replica'\)/,
  )

  const lost = classifySlots([slot('cdc', true, null, 'lost')])
  assert.equal(lost.status, 'warn')
  assert.match(lost.details![0]!, /its WAL already removed \(lost\)/)
})
