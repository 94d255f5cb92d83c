import { RevisionNotFoundError } from '../errors/index.js'
import type { RevisionGraph } from '../graph/revision-graph.js'

/** One change to the version table, written exactly as Alembic writes it. */
export type VersionChange =
  | { readonly kind: 'insert'; readonly revision: string }
  | { readonly kind: 'delete'; readonly revision: string }
  | { readonly kind: 'update'; readonly from: string; readonly revision: string }

/**
 * The applied revisions implied by the version table's rows: each row and everything
 * below it (parents and dependencies). A row no migration file defines is an error
 * naming it, since nothing can be planned from an unknown position.
 */
export function appliedFromRows(graph: RevisionGraph, rows: readonly string[]): Set<string> {
  for (const row of rows) {
    if (!graph.has(row)) {
      throw new RevisionNotFoundError(`the database is at revision ${row}, which no migration file defines`, {
        hint: 'check out the code that has this migration (an older or newer branch?), or, if it was removed on purpose, `strata stamp <revision> --purge`',
      })
    }
  }
  return graph.ancestors(rows, { includeSelf: true })
}

/** The rows that describe an applied set: its maximal revisions, in graph order. */
export function rowsOf(graph: RevisionGraph, applied: ReadonlySet<string>): string[] {
  return graph
    .all()
    .map((migration) => migration.revision)
    .filter(
      (revision) => applied.has(revision) && !graph.successors(revision).some((next) => applied.has(next)),
    )
}

/** Rows after applying `revision` on top of `rows`. */
export function rowsAfterUpgrade(graph: RevisionGraph, rows: readonly string[], revision: string): string[] {
  const covered = new Set(graph.prerequisites(revision))
  return sortByGraph(graph, [...rows.filter((row) => !covered.has(row)), revision])
}

/** Rows after removing `revision`, given the applied set after its removal. */
export function rowsAfterDowngrade(
  graph: RevisionGraph,
  rows: readonly string[],
  revision: string,
  appliedAfter: ReadonlySet<string>,
): string[] {
  const uncovered = graph
    .prerequisites(revision)
    .filter((prerequisite) => appliedAfter.has(prerequisite))
    .filter((prerequisite) => !graph.successors(prerequisite).some((next) => appliedAfter.has(next)))
  return sortByGraph(graph, [...new Set([...rows.filter((row) => row !== revision), ...uncovered])])
}

/**
 * The statements that turn one row set into another: an UPDATE where one row
 * replaces another (a step along a branch), DELETE for rows merged away, INSERT
 * for new branches.
 */
export function versionChanges(before: readonly string[], after: readonly string[]): VersionChange[] {
  const removed = before.filter((row) => !after.includes(row))
  const added = after.filter((row) => !before.includes(row))
  const changes: VersionChange[] = []
  const pairs = Math.min(removed.length, added.length)
  for (let index = 0; index < pairs; index++)
    changes.push({ kind: 'update', from: removed[index]!, revision: added[index]! })
  for (const row of removed.slice(pairs)) changes.push({ kind: 'delete', revision: row })
  for (const row of added.slice(pairs)) changes.push({ kind: 'insert', revision: row })
  return changes
}

function sortByGraph(graph: RevisionGraph, revisions: string[]): string[] {
  return [...new Set(revisions)].sort((a, b) => graph.position(a) - graph.position(b))
}

/** Whether two sets of version rows are the same, whatever their order. */
export function sameRows(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',')
}
