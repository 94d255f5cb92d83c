import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AmbiguousTargetError, InvalidMigrationError, RevisionNotFoundError } from '../../src/errors/index.js'
import { RevisionGraph } from '../../src/graph/revision-graph.js'
import { graphOf, meta } from '../helpers/graph-fixtures.js'

test('heads, bases, branch points and merge points of a diamond', () => {
  const graph = graphOf(meta('a'), meta('b', ['a']), meta('c', ['a']), meta('d', ['b', 'c']))
  assert.deepEqual(graph.heads, ['d'])
  assert.deepEqual(graph.bases, ['a'])
  assert.ok(graph.isBranchPoint('a'))
  assert.ok(graph.isMergePoint('d'))
  assert.deepEqual([...graph.ancestors(['d'])].sort(), ['a', 'b', 'c'])
  const order = graph.upgradeOrder(new Set(['a', 'b', 'c', 'd']))
  assert.deepEqual(order, ['a', 'b', 'c', 'd'])
})

test('dependsOn adds a prerequisite across branches without making it a parent', () => {
  const graph = graphOf(
    meta('x1', [], { branchLabels: ['core'] }),
    meta('x2', ['x1']),
    meta('y1', [], { branchLabels: ['feature'] }),
    meta('y2', ['y1'], { dependsOn: ['core'] }),
  )
  assert.deepEqual(
    graph.heads,
    ['x2', 'y2'],
    'x1 is not a head: x2 is its child; the dependency does not count',
  )
  assert.deepEqual(graph.dependencies('y2'), ['x1'], 'a label resolves to the revision that carries it')
  const order = graph.upgradeOrder(graph.ancestors(['y2'], { includeSelf: true }))
  assert.ok(order.indexOf('x1') < order.indexOf('y2'))
  assert.ok(!order.includes('x2'))
})

test('prefixes resolve when unique and list the candidates when not', () => {
  const graph = graphOf(meta('abc123'), meta('abd456', ['abc123']), meta('f00'), meta('f01', ['f00']))
  assert.equal(graph.lookup('abc'), 'abc123')
  assert.throws(
    () => graph.lookup('f0'),
    (error: unknown) =>
      error instanceof AmbiguousTargetError &&
      error.choices.join() === 'f00,f01' &&
      /f00 \(message of f00\)/.test(error.hint ?? ''),
  )
  assert.throws(() => graph.lookup('zzz'), RevisionNotFoundError)
  assert.throws(() => graph.lookup('abc124'), /Did you mean "abc123"\?/)
})

test('unknown references and cycles are invalid migrations', () => {
  assert.throws(
    () => RevisionGraph.validate([meta('a', ['nope'])]),
    (error: unknown) => {
      return (
        error instanceof InvalidMigrationError && /downRevision "nope" names no migration/.test(error.message)
      )
    },
  )
  assert.throws(() => RevisionGraph.validate([meta('a', [], { dependsOn: ['ghost'] })]), /dependsOn "ghost"/)
  assert.throws(
    () => RevisionGraph.validate([meta('a', ['c']), meta('b', ['a']), meta('c', ['b'])]),
    /cycle: .*a.*->.*a/,
  )
  assert.throws(
    () => RevisionGraph.validate([meta('a', [], { dependsOn: ['b'] }), meta('b', ['a'])]),
    /cycle/,
  )
})

test('a long history is walked without recursion', () => {
  const metas = [meta('r0')]
  for (let index = 1; index < 20000; index++) metas.push(meta(`r${index}`, [`r${index - 1}`]))
  const graph = graphOf(...metas)
  assert.equal(graph.ancestors(['r19999']).size, 19999)
  assert.equal(graph.upgradeOrder(new Set(metas.map((item) => item.revision))).length, 20000)
})
