import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stampRows } from '../../src/runner/stamp-rows.js'
import { graphOf, meta } from '../helpers/graph-fixtures.js'

// a ─┬─ b1 ─ b2   (branch label "billing" on b1)
//    └─ c1        (branch label "chat" on c1)
const forked = () =>
  graphOf(
    meta('a'),
    meta('b1', ['a'], { branchLabels: ['billing'] }),
    meta('b2', ['b1']),
    meta('c1', ['a'], { branchLabels: ['chat'] }),
  )

test('stamp base empties the version table, whatever it held', () => {
  assert.deepEqual(stampRows(forked(), ['b2'], ['base']), [])
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['base']), [])
  assert.deepEqual(stampRows(forked(), [], ['base']), [])
})

test("label@base removes that branch's rows and keeps the other branch's", () => {
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['billing@base']), ['c1'])
  // Alone, the branch falls back to what its first revision stands on.
  assert.deepEqual(stampRows(forked(), ['b2'], ['billing@base']), ['a'])
  const separate = graphOf(meta('x1', [], { branchLabels: ['ext'] }), meta('x2', ['x1']), meta('m1'))
  assert.deepEqual(stampRows(separate, ['x2', 'm1'], ['ext@base']), ['m1'])
})

test('a relative move down moves its own line only; below the first revision it is base', () => {
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['b2-1']), ['b1', 'c1'])
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['b2-2']), ['c1'])
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['billing@-1']), ['b1', 'c1'])
  const line = graphOf(meta('a'), meta('b', ['a']))
  assert.deepEqual(stampRows(line, ['b'], ['head-1']), ['a'])
  assert.deepEqual(stampRows(line, ['a'], ['a-1']), [])
})

test('a revision replaces the rows on its line, above or below it, as Alembic stamps', () => {
  assert.deepEqual(stampRows(forked(), [], ['b2']), ['b2'])
  assert.deepEqual(stampRows(forked(), ['b2', 'c1'], ['a']), ['a'])
  assert.deepEqual(stampRows(forked(), ['c1'], ['b1']), ['b1', 'c1'])
  assert.deepEqual(stampRows(forked(), ['a'], ['heads']), ['b2', 'c1'])
  assert.deepEqual(stampRows(forked(), ['c1'], ['b2']), ['b2', 'c1'])
})

test('two targets on one line of history are refused as overlapping, as Alembic refuses them; on two branches both stand', () => {
  assert.throws(
    () => stampRows(forked(), [], ['b2', 'b1']),
    /b2 and b1 overlap: b1 is below b2 on one line of history/,
  )
  assert.throws(() => stampRows(forked(), ['c1'], ['a', 'c1']), /c1 and a overlap/)
  assert.deepEqual(stampRows(forked(), [], ['b2', 'c1']).sort(), ['b2', 'c1'])
  // A dependency is not a line of history: no overlap.
  const dependent = graphOf(meta('x1'), meta('y1'), meta('y2', ['y1'], { dependsOn: ['x1'] }))
  assert.doesNotThrow(() => stampRows(dependent, [], ['y2', 'x1']))
})
