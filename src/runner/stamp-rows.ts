import type { RecordedStep } from '../db/record-step.js'
import { UsageError } from '../errors/index.js'
import type { RevisionGraph } from '../graph/revision-graph.js'
import { parseTarget } from '../graph/target-syntax.js'
import { STRATA_VERSION } from '../version.js'
import { anchorPosition, targetRevisions } from './plan.js'
import { appliedFromRows, rowsOf } from './version-rows.js'

/**
 * The version table's rows after stamping `targets` over `rows`. Each target moves the
 * rows of its own line of revisions (its ancestors and descendants) and leaves other
 * branches' rows where they are, as Alembic's stamp does:
 *   - `base` empties the table; `label@base` removes that branch's rows, leaving what
 *     its first revision stands on;
 *   - a relative move (`head-1`, `abc-2`, `label@-1`) moves the line of its starting
 *     revision, so `b1-1` under a branch point keeps the other branch's row;
 *   - a revision moves the rows related to it, above or below it.
 *
 * @example stampRows(graph, ['b1', 'c1'], ['base'])   // []
 */
export function stampRows(
  graph: RevisionGraph,
  rows: readonly string[],
  targets: readonly string[],
): string[] {
  const replaced = new Set<string>()
  const destinations: string[] = []
  for (const target of targets) {
    const move = stampMove(graph, target, rows)
    destinations.push(...move.destinations)
    for (const revision of move.replaced) replaced.add(revision)
  }
  refuseOverlap(graph, targets, destinations)
  const kept = rows.filter((row) => !replaced.has(row))
  return rowsOf(graph, graph.ancestors([...destinations, ...kept], { includeSelf: true }))
}

/**
 * Two targets on one line of history (`stamp ccc333 bbb222`, bbb222 below ccc333) ask
 * for the database to be at both; Alembic refuses them as overlapping. Taking the
 * higher one quietly would hide that the command was not what was meant.
 */
function refuseOverlap(
  graph: RevisionGraph,
  targets: readonly string[],
  destinations: readonly string[],
): void {
  if (targets.length < 2) return
  for (const upper of destinations) {
    const below = graph.ancestors([upper], { includeSelf: false, followDependencies: false })
    const lower = destinations.find((revision) => revision !== upper && below.has(revision))
    if (lower !== undefined)
      throw new UsageError(
        `${upper} and ${lower} overlap: ${lower} is below ${upper} on one line of history, and a database is at one revision of each branch`,
        {
          hint: `stamp the one meant: \`strata stamp ${upper}\` (every revision below it counts as applied)`,
        },
      )
  }
}

interface StampMove {
  readonly destinations: readonly string[]
  /** Revisions whose rows the move takes the place of. */
  readonly replaced: ReadonlySet<string>
}

function stampMove(graph: RevisionGraph, target: string, rows: readonly string[]): StampMove {
  const parsed = parseTarget(target)
  const applied = appliedFromRows(graph, rows)
  if (parsed.kind === 'base') {
    if (parsed.branch === undefined) return { destinations: [], replaced: new Set(rows) }
    const first = graph.lookup(parsed.branch)
    const below = graph.parents(first)
    return {
      destinations: below,
      replaced: union(lineOf(graph, [first], 'up'), lineOf(graph, below, 'down')),
    }
  }
  const destinations = targetRevisions(graph, parsed, rows, applied)
  if (parsed.kind === 'relative' && parsed.steps < 0) {
    const from = anchorPosition(graph, parsed.anchor, rows, applied)
    return { destinations, replaced: from === undefined ? new Set() : relatedTo(graph, [from]) }
  }
  return { destinations, replaced: relatedTo(graph, destinations) }
}

function relatedTo(graph: RevisionGraph, revisions: readonly string[]): Set<string> {
  return union(lineOf(graph, revisions, 'down'), lineOf(graph, revisions, 'up'))
}

function lineOf(graph: RevisionGraph, revisions: readonly string[], direction: 'up' | 'down'): Set<string> {
  return direction === 'up'
    ? graph.descendants(revisions, { includeSelf: true })
    : graph.ancestors(revisions, { includeSelf: true })
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...a, ...b])
}

/**
 * The history rows a stamp writes: one per revision it puts in the version table, or,
 * when it only takes rows out (`base`, `label@base`), one for `base` naming them, so
 * that the audit trail shows who set the database back, and from where.
 */
export function stampRecords(
  graph: RevisionGraph,
  rowsBefore: readonly string[],
  rowsAfter: readonly string[],
  /** What the table held before a purge emptied it (`rowsBefore` without one). */
  stored: readonly string[] = rowsBefore,
): RecordedStep[] {
  const applied = appliedFromRows(graph, rowsBefore)
  const added = rowsAfter.filter((row) => !applied.has(row) || !rowsBefore.includes(row))
  const records: RecordedStep[] = added.map((revision) => ({
    revision,
    direction: 'stamp',
    outcome: 'success',
    toolVersion: STRATA_VERSION,
    checksum: graph.get(revision).checksum,
    message: graph.get(revision).message,
  }))
  const removed = stored.filter((row) => !rowsAfter.includes(row))
  if (added.length === 0 && removed.length > 0)
    records.push({
      revision: 'base',
      direction: 'stamp',
      outcome: 'success',
      toolVersion: STRATA_VERSION,
      message: `stamped off ${removed.join(', ')}`,
    })
  return records
}
