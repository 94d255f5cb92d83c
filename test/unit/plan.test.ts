import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AmbiguousTargetError, MultipleHeadsError, UsageError } from '../../src/errors/index.js'
import { parseTarget } from '../../src/graph/target-syntax.js'
import { planDowngrade, planUpgrade } from '../../src/runner/plan.js'
import { graphOf, meta } from '../helpers/graph-fixtures.js'

const diamond = () => graphOf(meta('a'), meta('b', ['a']), meta('c', ['a']), meta('d', ['b', 'c']))
const steps = (plan: { steps: readonly { revision: string }[] }) => plan.steps.map((step) => step.revision)

test('upgrading through a diamond writes the version table as Alembic does', () => {
  const plan = planUpgrade(diamond(), [], 'head')
  assert.deepEqual(steps(plan), ['a', 'b', 'c', 'd'])
  assert.deepEqual(
    plan.steps.map((step) => step.changes),
    [
      [{ kind: 'insert', revision: 'a' }],
      [{ kind: 'update', from: 'a', revision: 'b' }],
      [{ kind: 'insert', revision: 'c' }],
      [
        { kind: 'update', from: 'b', revision: 'd' },
        { kind: 'delete', revision: 'c' },
      ],
    ],
  )
  assert.deepEqual(plan.rowsAfter, ['d'])
})

test('downgrade -1 from a merge point unmerges into both parents', () => {
  const plan = planDowngrade(diamond(), ['d'], '-1')
  assert.deepEqual(steps(plan), ['d'])
  assert.deepEqual(plan.rowsAfter, ['b', 'c'])
  assert.deepEqual(plan.steps[0]!.changes, [
    { kind: 'update', from: 'd', revision: 'b' },
    { kind: 'insert', revision: 'c' },
  ])
})

test('a relative move below a merge point is refused with the choices', () => {
  assert.throws(
    () => planDowngrade(diamond(), ['d'], '-2'),
    (error: unknown) =>
      error instanceof AmbiguousTargetError &&
      error.choices.join() === 'b,c' &&
      /name the revision to go to instead of a relative move: b or c/.test(error.hint ?? ''),
  )
})

test('a relative upgrade across a merge point applies the other side of the merge too', () => {
  const plan = planUpgrade(diamond(), ['b'], '+1')
  assert.deepEqual(steps(plan), ['c', 'd'])
  assert.deepEqual(plan.rowsAfter, ['d'])
})

test('+1 from a branch point is ambiguous and lists the branches', () => {
  assert.throws(
    () => planUpgrade(diamond(), ['a'], '+1'),
    (error: unknown) => error instanceof AmbiguousTargetError && error.choices.join() === 'b,c',
  )
})

test('upgrade head with several heads names them and suggests merge; heads applies both', () => {
  const graph = graphOf(meta('a'), meta('b', ['a']), meta('c', ['a']))
  assert.throws(
    () => planUpgrade(graph, [], 'head'),
    (error: unknown) =>
      error instanceof MultipleHeadsError &&
      error.heads.join() === 'b,c' &&
      /strata merge/.test(error.hint ?? ''),
  )
  const plan = planUpgrade(graph, [], 'heads')
  assert.deepEqual(steps(plan), ['a', 'b', 'c'])
  assert.deepEqual(plan.rowsAfter, ['b', 'c'])
})

test('downgrading one branch of several heads leaves the other alone', () => {
  const graph = graphOf(
    meta('a'),
    meta('b', ['a']),
    meta('b2', ['b']),
    meta('c', ['a'], { branchLabels: ['cart'] }),
    meta('c2', ['c']),
  )
  const rows = ['b2', 'c2']
  assert.throws(
    () => planDowngrade(graph, rows, '-1'),
    (error: unknown) => error instanceof AmbiguousTargetError && error.choices.join() === 'b2,c2',
  )
  const oneBranch = planDowngrade(graph, rows, 'cart@-1')
  assert.deepEqual(steps(oneBranch), ['c2'])
  assert.deepEqual(oneBranch.rowsAfter, ['b2', 'c'])
  const byRevision = planDowngrade(graph, rows, 'c2-2')
  assert.deepEqual(steps(byRevision), ['c2', 'c'])
  assert.deepEqual(byRevision.rowsAfter, ['b2'])
  // Going below the branch point would take the other branch's parent away.
  assert.throws(
    () => planDowngrade(graph, rows, 'c2-3'),
    (error: unknown) => error instanceof AmbiguousTargetError && /b needs a/.test(error.message),
  )
  // Naming the branch point explicitly removes everything above it, on both branches.
  assert.deepEqual(planDowngrade(graph, rows, 'a').rowsAfter, ['a'])
})

test('a dependency cannot be removed while its dependent stays; label@head and partial ids work', () => {
  const graph = graphOf(
    meta('x1a', [], { branchLabels: ['core'] }),
    meta('x2b', ['x1a']),
    meta('y1c', [], { branchLabels: ['feature'] }),
    meta('y2d', ['y1c'], { dependsOn: ['core'] }),
  )
  const up = planUpgrade(graph, [], 'feature@head')
  assert.deepEqual(steps(up), ['x1a', 'y1c', 'y2d'])
  assert.deepEqual(up.rowsAfter, ['y2d'], 'the dependency is absorbed into the dependent row, as in Alembic')
  assert.throws(() => planDowngrade(graph, ['y2d'], 'core@base'), /y2d needs x1a/)
  const all = planUpgrade(graph, ['y2d'], 'heads')
  assert.deepEqual(steps(all), ['x2b'])
  assert.deepEqual(all.rowsAfter, ['x2b', 'y2d'])
  assert.deepEqual(steps(planUpgrade(graph, [], 'x2')), ['x1a', 'x2b'], 'a unique prefix is enough')
})

test('relative targets: head-1, rev+N, and errors for impossible moves', () => {
  const graph = graphOf(meta('a'), meta('b', ['a']), meta('c', ['b']))
  assert.deepEqual(planUpgrade(graph, [], 'head-1').rowsAfter, ['b'])
  assert.deepEqual(planUpgrade(graph, [], 'a+2').rowsAfter, ['c'])
  assert.deepEqual(planUpgrade(graph, ['a'], '+1').rowsAfter, ['b'])
  assert.deepEqual(planDowngrade(graph, ['c'], '-2').rowsAfter, ['a'])
  assert.deepEqual(planDowngrade(graph, ['c'], 'base').rowsAfter, [])
  assert.throws(
    () => planUpgrade(graph, ['c'], '+1'),
    /^UsageError: cannot go 1 step up from c: it is a head, nothing is above it$/,
  )
  assert.throws(
    () => planUpgrade(graph, ['a'], '+3'),
    /cannot go 3 steps up from a: c is a head, 2 steps up$/,
  )
  assert.throws(() => planDowngrade(graph, ['c'], '-4'), /cannot go 4 steps down/)
  assert.throws(
    () => planDowngrade(graph, ['a'], 'c'),
    (error: unknown) => error instanceof UsageError && /c is not applied/.test(error.message),
  )
  assert.equal(planUpgrade(graph, ['c'], 'head').note, 'already at head: nothing to upgrade')
  assert.equal(planUpgrade(graph, ['b'], 'b').note, 'already at b: nothing to upgrade')
  assert.equal(
    planUpgrade(graph, ['c'], 'a').note,
    'already past a (at c): nothing to upgrade; `strata downgrade a` moves down to it',
  )
  assert.throws(
    () => planUpgrade(graph, ['c'], '-1'),
    (error: unknown) =>
      error instanceof UsageError &&
      error.message === '"-1" moves down; an upgrade moves up' &&
      error.hint === 'use +1, or `strata downgrade -1`',
  )
})

test('a relative downgrade past base says how far base is', () => {
  const graph = graphOf(meta('a'), meta('b', ['a']))
  assert.throws(
    () => planDowngrade(graph, ['b'], '-5'),
    /cannot go 5 steps down from b: base is 2 steps below it/,
  )
  assert.deepEqual(planDowngrade(graph, ['b'], '-2').rowsAfter, [])
  // An upgrade to base names the target, not "there are no migrations".
  assert.equal(planUpgrade(graph, ['b'], 'base').note, 'nothing to upgrade: base is below every migration')
  assert.equal(planUpgrade(graphOf(), [], 'heads').note, 'nothing to upgrade: there are no migrations')
})

test('a target mistyped or written as a range says what was meant', () => {
  assert.throws(
    () => graphOf(meta('abc123')).lookup('hed'),
    /no revision or branch label "hed"\. Did you mean "head"\?/,
  )
  assert.throws(
    () => parseTarget('abc:def'),
    (error: unknown) =>
      /"abc:def" is a range: a range is for offline scripts \(--sql\)/.test((error as Error).message) &&
      /add --sql to print the script of abc:def/.test((error as UsageError).hint ?? ''),
  )
  // heads and base are no revisions to count from: not "no revision heads. Did you mean heads?"
  assert.throws(
    () => parseTarget('heads+1'),
    (error: unknown) =>
      /"heads\+1": a relative move counts from one revision, and heads names every head/.test(
        (error as Error).message,
      ) && /head-1, label@-1, REV\+1/.test((error as UsageError).hint ?? ''),
  )
  assert.throws(
    () => parseTarget('base+2'),
    /"base\+2": a relative move counts from one revision, and base is before/,
  )
})
