import { AmbiguousTargetError, MultipleHeadsError, UsageError } from '../errors/index.js'
import type { MigrationMeta } from '../graph/migration.js'
import type { RevisionGraph } from '../graph/revision-graph.js'
import { type Anchor, type ParsedTarget, parseTarget } from '../graph/target-syntax.js'
import {
  appliedFromRows,
  rowsAfterDowngrade,
  rowsAfterUpgrade,
  type VersionChange,
  versionChanges,
} from './version-rows.js'

export type Direction = 'up' | 'down'

/** One migration to run, and what it does to the version table. */
export interface PlanStep {
  readonly revision: string
  readonly direction: Direction
  readonly meta: MigrationMeta
  readonly rowsBefore: readonly string[]
  readonly rowsAfter: readonly string[]
  readonly changes: readonly VersionChange[]
}

/** What an upgrade or downgrade will do, computed before anything runs. */
export interface Plan {
  readonly direction: Direction
  readonly target: string
  readonly steps: readonly PlanStep[]
  readonly rowsBefore: readonly string[]
  readonly rowsAfter: readonly string[]
  /** Why nothing needs to run, when `steps` is empty. */
  readonly note: string | undefined
}

/**
 * The steps that bring a database whose version table holds `rows` to `target`.
 *
 * @example planUpgrade(graph, ['abc'], 'head')
 */
export function planUpgrade(graph: RevisionGraph, rows: readonly string[], target: string): Plan {
  const applied = appliedFromRows(graph, rows)
  const parsed = parseTarget(target)
  if (parsed.kind === 'relative' && parsed.anchor.kind === 'current' && parsed.steps < 0)
    throw new UsageError(`"${target}" moves down; an upgrade moves up`, {
      hint: `use +${-parsed.steps}, or \`strata downgrade ${target}\``,
    })
  const destinations = targetRevisions(graph, parsed, rows, applied)
  const needed = graph.ancestors(destinations, { includeSelf: true })
  for (const revision of applied) needed.delete(revision)
  const order = graph.upgradeOrder(needed)
  const steps: PlanStep[] = []
  let current = [...rows]
  for (const revision of order) {
    const next = rowsAfterUpgrade(graph, current, revision)
    steps.push({
      revision,
      direction: 'up',
      meta: graph.get(revision),
      rowsBefore: current,
      rowsAfter: next,
      changes: versionChanges(current, next),
    })
    current = next
  }
  const note =
    steps.length > 0
      ? undefined
      : destinations.length === 0
        ? graph.all().length === 0
          ? 'nothing to upgrade: there are no migrations'
          : `nothing to upgrade: ${target} is below every migration`
        : target === 'head' || target === 'heads'
          ? 'already at head: nothing to upgrade'
          : destinations.every((revision) => rows.includes(revision))
            ? `already at ${destinations.join(', ')}: nothing to upgrade`
            : `already past ${destinations.join(', ')} (at ${rows.join(', ')}): nothing to upgrade; \`strata downgrade ${target}\` moves down to it`
  return { direction: 'up', target, steps, rowsBefore: rows, rowsAfter: current, note }
}

/**
 * The steps that take a database back to `target`: the revisions above it, newest
 * first. A move that would leave an applied revision without one it needs (another
 * branch's dependency, the far side of a branch point) is refused with the choices.
 */
export function planDowngrade(graph: RevisionGraph, rows: readonly string[], target: string): Plan {
  const applied = appliedFromRows(graph, rows)
  const parsed = parseTarget(target)
  const removal = downgradeRemovals(graph, parsed, rows, applied, target)
  checkNothingOrphaned(graph, applied, removal, target)
  const order = graph.upgradeOrder(removal).reverse()
  const steps: PlanStep[] = []
  let current = [...rows]
  const remaining = new Set(applied)
  for (const revision of order) {
    remaining.delete(revision)
    const next = rowsAfterDowngrade(graph, current, revision, remaining)
    steps.push({
      revision,
      direction: 'down',
      meta: graph.get(revision),
      rowsBefore: current,
      rowsAfter: next,
      changes: versionChanges(current, next),
    })
    current = next
  }
  const note = steps.length > 0 ? undefined : `already at ${target}: nothing to downgrade`
  return { direction: 'down', target, steps, rowsBefore: rows, rowsAfter: current, note }
}

/**
 * The revisions a target names, for upgrade and stamp: `head-1` is head's parent,
 * `+1` the child of the current revision, `base` nothing.
 */
export function targetRevisions(
  graph: RevisionGraph,
  target: ParsedTarget,
  rows: readonly string[],
  applied: ReadonlySet<string>,
): string[] {
  switch (target.kind) {
    case 'heads':
      return [...graph.heads]
    case 'head':
      return [singleHead(graph, target.branch)]
    case 'base':
      return []
    case 'current':
      return [...rows]
    case 'revision':
      return [graph.lookup(target.reference)]
    case 'relative': {
      if (target.steps > 0) {
        const from = anchorPosition(graph, target.anchor, rows, applied)
        return [walkUp(graph, from, target.steps, branchOf(graph, target.anchor))]
      }
      const from = anchorPosition(graph, target.anchor, rows, applied)
      if (from === undefined)
        throw new UsageError(`cannot move ${target.steps} from base`, { hint: 'nothing is below base' })
      const destination = walkDown(graph, from, -target.steps)
      return destination === undefined ? [] : [destination]
    }
  }
}

function downgradeRemovals(
  graph: RevisionGraph,
  target: ParsedTarget,
  rows: readonly string[],
  applied: ReadonlySet<string>,
  text: string,
): Set<string> {
  const above = (revision: string, includeSelf: boolean) =>
    new Set(
      [...graph.descendants([revision], { includeSelf, followDependencies: false })].filter((item) =>
        applied.has(item),
      ),
    )
  switch (target.kind) {
    case 'base':
      if (target.branch === undefined) return new Set(applied)
      return above(graph.lookup(target.branch), true)
    case 'heads':
    case 'head':
    case 'current':
      throw new UsageError(`"${text}" is not a downgrade target`, {
        hint: 'downgrade to a revision, -N, REV-N, label@-N, label@base or base',
      })
    case 'revision': {
      const revision = graph.lookup(target.reference)
      if (!applied.has(revision)) {
        throw new UsageError(`${revision} is not applied, so the database cannot be downgraded to it`, {
          hint: `the database is at ${rows.join(', ') || 'base'}; \`strata upgrade ${revision}\` moves up instead`,
        })
      }
      return above(revision, false)
    }
    case 'relative': {
      if (target.steps > 0) {
        throw new UsageError(`"${text}" moves up; a downgrade moves down`, {
          hint: `use -${target.steps}, or \`strata upgrade ${text}\``,
        })
      }
      // Relative moves stay on one line: the N revisions walked down from the anchor,
      // and whatever is applied above the anchor itself. Other branches are left alone
      // (and the orphan check refuses if one of them needs a removed revision).
      const from =
        target.anchor.kind === 'current' || target.anchor.kind === 'branch'
          ? anchorPosition(graph, target.anchor, rows, applied)
          : anchorRevision(graph, target.anchor)
      if (from === undefined) throw new UsageError('nothing is applied: there is nothing to downgrade')
      const walked = walkRemovals(graph, from, -target.steps)
      const above = graph.descendants([from], { followDependencies: false })
      return new Set([...walked, ...above].filter((revision) => applied.has(revision)))
    }
  }
}

/** The N revisions from `from` downwards along its single line, to be removed. */
function walkRemovals(graph: RevisionGraph, from: string, steps: number): Set<string> {
  const removal = new Set<string>()
  let position = from
  for (let step = 1; step <= steps; step++) {
    removal.add(position)
    if (step === steps) break
    const parents = graph.parents(position)
    if (parents.length === 0) {
      throw new UsageError(
        `cannot go ${steps} steps down from ${from}: base is ${step} step${step === 1 ? '' : 's'} below it`,
        {
          hint: '`strata downgrade base` removes everything',
        },
      )
    }
    if (parents.length > 1) throw mergeAmbiguity(position, parents)
    position = parents[0]!
  }
  return removal
}

function checkNothingOrphaned(
  graph: RevisionGraph,
  applied: ReadonlySet<string>,
  removal: ReadonlySet<string>,
  target: string,
): void {
  const orphans = [...applied].filter(
    (revision) =>
      !removal.has(revision) && graph.prerequisites(revision).some((needed) => removal.has(needed)),
  )
  if (orphans.length === 0) return
  const needs = orphans.map((orphan) => {
    const lost = graph.prerequisites(orphan).filter((needed) => removal.has(needed))
    return `${orphan} needs ${lost.join(', ')}`
  })
  throw new AmbiguousTargetError(
    `downgrading to ${target} would remove revisions that other applied revisions need (${needs.join('; ')})`,
    orphans,
    {
      hint: `downgrade those first (e.g. \`strata downgrade ${orphans[0]}-1\`), or choose a target below the branch point`,
    },
  )
}

/** Where the database is, for a relative move: a single current row, or a branch's. */
export function anchorPosition(
  graph: RevisionGraph,
  anchor: Anchor,
  rows: readonly string[],
  applied: ReadonlySet<string>,
): string | undefined {
  switch (anchor.kind) {
    case 'head':
      return singleHead(graph, undefined)
    case 'revision':
      return graph.lookup(anchor.reference)
    case 'current': {
      if (rows.length <= 1) return rows[0]
      throw new AmbiguousTargetError(
        `the database has ${rows.length} current heads, so a relative move is ambiguous`,
        rows,
        {
          hint: `name the branch: ${rows.map((row) => `\`${row}-1\``).join(' or ')} (or label@-1 / label@+1)`,
        },
      )
    }
    case 'branch': {
      const root = graph.lookup(anchor.branch)
      const line = new Set([
        ...graph.descendants([root], { includeSelf: true, followDependencies: false }),
        ...graph.ancestors([root], { includeSelf: true, followDependencies: false }),
      ])
      const positions = rows.filter((row) => line.has(row))
      if (positions.length > 1) {
        throw new AmbiguousTargetError(`branch ${anchor.branch} has several current revisions`, positions, {
          hint: `name one: ${positions.map((row) => `\`${row}\``).join(', ')}`,
        })
      }
      if (positions.length === 1) return positions[0]
      // Nothing of the branch is applied yet: count from what is applied below its root.
      return [...graph.ancestors([root], { followDependencies: false })].find(
        (revision) => applied.has(revision) && rows.includes(revision),
      )
    }
  }
}

function anchorRevision(graph: RevisionGraph, anchor: Anchor): string {
  if (anchor.kind === 'head') return singleHead(graph, undefined)
  if (anchor.kind === 'revision') return graph.lookup(anchor.reference)
  throw new UsageError('a relative move needs a revision to count from')
}

/** The branch a relative move is restricted to, for choosing at branch points. */
function branchOf(graph: RevisionGraph, anchor: Anchor): Set<string> | undefined {
  if (anchor.kind !== 'branch') return undefined
  const root = graph.lookup(anchor.branch)
  return new Set([
    ...graph.descendants([root], { includeSelf: true, followDependencies: false }),
    ...graph.ancestors([root], { includeSelf: true, followDependencies: false }),
  ])
}

function walkUp(
  graph: RevisionGraph,
  from: string | undefined,
  steps: number,
  branch: Set<string> | undefined,
): string {
  let position = from
  for (let step = 1; step <= steps; step++) {
    let next = position === undefined ? [...graph.bases] : [...graph.children(position)]
    if (branch !== undefined && next.length > 1) next = next.filter((revision) => branch.has(revision))
    if (next.length === 0) {
      throw new UsageError(
        step === 1
          ? `cannot go ${steps} ${steps === 1 ? 'step' : 'steps'} up from ${from ?? 'base'}: it is a head, nothing is above it`
          : `cannot go ${steps} steps up from ${from ?? 'base'}: ${position} is a head, ${step - 1} ${step === 2 ? 'step' : 'steps'} up`,
        {
          hint: '`strata upgrade head` goes to the top',
        },
      )
    }
    if (next.length > 1) {
      throw new AmbiguousTargetError(
        `${position === undefined ? 'there are several bases' : `${position} is a branch point`}: +${steps} could go to ${next.join(' or ')}`,
        next,
        {
          hint: `choose: ${next.map((revision) => `\`strata upgrade ${revision}\``).join(' or ')} (or label@+N)`,
        },
      )
    }
    position = next[0]!
  }
  return position!
}

/** The revision N steps below `from` along single parents; undefined when that is base. */
function walkDown(graph: RevisionGraph, from: string, steps: number): string | undefined {
  let position: string = from
  for (let step = 1; step <= steps; step++) {
    const parents = graph.parents(position)
    if (parents.length === 0) {
      if (step === steps) return undefined
      throw new UsageError(
        `cannot go ${steps} steps down from ${from}: base is ${step} step${step === 1 ? '' : 's'} below it`,
      )
    }
    if (parents.length > 1) throw mergeAmbiguity(position, parents)
    position = parents[0]!
  }
  return position
}

function mergeAmbiguity(merge: string, parents: readonly string[]): AmbiguousTargetError {
  return new AmbiguousTargetError(
    `${merge} is a merge point: going below it could follow ${parents.join(' or ')}`,
    [...parents],
    {
      hint: `name the revision to go to instead of a relative move: ${parents.join(' or ')}`,
    },
  )
}

/** The one head of the graph or of a branch; several heads is the guide's "Version Conflicts". */
export function singleHead(graph: RevisionGraph, branch: string | undefined): string {
  const heads = branch === undefined ? [...graph.heads] : graph.headsAbove(graph.lookup(branch))
  if (heads.length === 1) return heads[0]!
  if (heads.length === 0)
    throw new UsageError('there are no migrations yet', {
      hint: 'create one with `strata revision -m "..."`',
    })
  const listed = heads.map((head) => `${head} (${graph.get(head).message || 'no message'})`).join(', ')
  if (branch !== undefined) {
    throw new AmbiguousTargetError(`${branch} leads to ${heads.length} heads: ${listed}`, heads, {
      hint: `choose one of them, or merge them with \`strata merge -m "merge" ${heads.join(' ')}\``,
    })
  }
  throw new MultipleHeadsError(`multiple head revisions are present: ${listed}`, heads, {
    hint: `merge them with \`strata merge -m "merge heads" ${heads.join(' ')}\`, or run \`strata upgrade heads\` to apply every branch`,
  })
}
