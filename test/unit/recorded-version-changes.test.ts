import assert from 'node:assert/strict'
import { test } from 'node:test'
import { planDowngrade, planUpgrade } from '../../src/runner/plan.js'
import { recordedVersionChanges } from '../../src/runner/run-plan.js'
import { graphOf, meta } from '../helpers/graph-fixtures.js'

const diamond = () => graphOf(meta('a'), meta('b', ['a']), meta('c', ['a']), meta('d', ['b', 'c']))

test('a transaction per migration: each record writes its own step', () => {
  const plan = planUpgrade(diamond(), [], 'head')
  assert.deepEqual(
    recordedVersionChanges(plan.steps, false),
    plan.steps.map((step) => step.changes),
  )
})

test('one transaction: only the last step writes the version table, with the net change', () => {
  const fromBase = planUpgrade(diamond(), [], 'head')
  assert.deepEqual(recordedVersionChanges(fromBase.steps, true), [
    [],
    [],
    [],
    [{ kind: 'insert', revision: 'd' }],
  ])
  // From a row in the middle of a branch: one update, as if one step had been taken.
  const fromB = planUpgrade(diamond(), ['b'], 'head')
  assert.deepEqual(recordedVersionChanges(fromB.steps, true), [
    [],
    [{ kind: 'update', from: 'b', revision: 'd' }],
  ])
  // Down through the merge to two heads and further: the rows the last step leaves.
  const down = planDowngrade(diamond(), ['d'], 'a')
  assert.deepEqual(recordedVersionChanges(down.steps, true), [
    [],
    [],
    [{ kind: 'update', from: 'd', revision: 'a' }],
  ])
})

test('one transaction around a step that cannot run in one: each transaction writes its own net change', () => {
  const graph = graphOf(
    meta('a'),
    meta('b', ['a']),
    meta('c', ['b'], { transactional: false }),
    meta('d', ['c']),
    meta('e', ['d']),
  )
  const plan = planUpgrade(graph, [], 'head')
  assert.deepEqual(recordedVersionChanges(plan.steps, true), [
    [],
    [{ kind: 'insert', revision: 'b' }],
    [{ kind: 'update', from: 'b', revision: 'c' }],
    [],
    [{ kind: 'update', from: 'c', revision: 'e' }],
  ])
})
