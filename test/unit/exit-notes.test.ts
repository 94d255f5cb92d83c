import assert from 'node:assert/strict'
import { test } from 'node:test'
import { abruptExitNotes, sayOnAbruptExit } from '../../src/util/exit-notes.js'

test('notes for an abrupt exit are said oldest first, and only while registered', () => {
  const before = sayOnAbruptExit('restore stopped before the swap: the partial copy is app_restore_1')
  const other = sayOnAbruptExit('a second command part')
  assert.deepEqual(abruptExitNotes(), [
    'restore stopped before the swap: the partial copy is app_restore_1',
    'a second command part',
  ])
  before()
  const after = sayOnAbruptExit('restore stopped after the swap')
  assert.deepEqual(abruptExitNotes(), ['a second command part', 'restore stopped after the swap'])
  other()
  after()
  after()
  assert.deepEqual(abruptExitNotes(), [])
})
