import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load-config.js'
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

test('the warning threshold comes from health.slotWalMegabytes (default 1024), and bad values are refused', () => {
  assert.equal(resolveConfig({}, undefined, '/tmp').health.slotWalMegabytes, 1024)
  const config = resolveConfig({ health: { slotWalMegabytes: 8 } }, undefined, '/tmp')
  const inactive = [slot('standby_b', false, 16 * 1024 ** 2)]
  assert.equal(classifySlots(inactive).status, 'ok', '16 MB is under the default')
  assert.equal(classifySlots(inactive, config.health.slotWalMegabytes * 1024 ** 2).status, 'warn')
  assert.throws(
    () => resolveConfig({ health: { slotWalMegabytes: 0 } }, undefined, '/tmp'),
    /health\.slotWalMegabytes/,
  )
})
