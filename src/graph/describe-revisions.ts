import { relative } from 'node:path'
import type { RevisionGraph } from './revision-graph.js'

/** Everything the read commands show about one revision. */
export interface RevisionSummary {
  readonly revision: string
  readonly downRevisions: readonly string[]
  readonly message: string
  readonly branchLabels: readonly string[]
  readonly dependsOn: readonly string[]
  readonly isHead: boolean
  readonly isBranchPoint: boolean
  readonly isMergePoint: boolean
  readonly children: readonly string[]
  readonly file: string
  readonly createDate: string | undefined
  readonly phase: string | undefined
  readonly transactional: boolean
  readonly hasDowngrade: boolean
}

export function summarize(graph: RevisionGraph, revision: string): RevisionSummary {
  const meta = graph.get(revision)
  return {
    revision,
    downRevisions: meta.downRevisions,
    message: meta.message,
    // As in Alembic, a branch label names every revision of its branch.
    branchLabels: graph.branchLabelsOf(revision),
    dependsOn: meta.dependsOn,
    isHead: graph.isHead(revision),
    isBranchPoint: graph.isBranchPoint(revision),
    isMergePoint: graph.isMergePoint(revision),
    children: graph.children(revision),
    file: meta.file,
    createDate: meta.createDate,
    phase: meta.phase,
    transactional: meta.transactional,
    hasDowngrade: meta.hasDowngrade,
  }
}

/**
 * Revisions for `history`, newest first. With a range, those that are both at or
 * above every `from` revision and at or below every `to` revision (inclusive).
 */
export function historyRevisions(
  graph: RevisionGraph,
  range: { from?: readonly string[] | undefined; to?: readonly string[] | undefined } = {},
): string[] {
  const all = new Set(graph.all().map((meta) => meta.revision))
  const above = range.from === undefined ? all : graph.descendants(range.from, { includeSelf: true })
  const below = range.to === undefined ? all : graph.ancestors(range.to, { includeSelf: true })
  const selected = new Set([...all].filter((revision) => above.has(revision) && below.has(revision)))
  return graph.upgradeOrder(selected).reverse()
}

/** Alembic's annotations: " (label) (head) (branchpoint) (mergepoint) (current)". */
export function annotations(summary: RevisionSummary, current?: ReadonlySet<string>): string {
  const parts = summary.branchLabels.map((label) => ` (${label})`)
  if (summary.isHead) parts.push(' (head)')
  if (summary.isBranchPoint) parts.push(' (branchpoint)')
  if (summary.isMergePoint) parts.push(' (mergepoint)')
  if (current?.has(summary.revision)) parts.push(' (current)')
  return parts.join('')
}

/** One line of `history`: "prev -> rev (head), message". */
export function historyLine(summary: RevisionSummary, current?: ReadonlySet<string>): string {
  const down = summary.downRevisions.length === 0 ? '<base>' : summary.downRevisions.join(', ')
  return `${down} -> ${summary.revision}${annotations(summary, current)}, ${summary.message || '(no message)'}`
}

/** The verbose block of `history -v`, `heads -v`, `show`. */
export function verboseBlock(summary: RevisionSummary, current?: ReadonlySet<string>): string {
  const lines = [`Rev: ${summary.revision}${annotations(summary, current)}`]
  if (summary.isMergePoint) lines.push(`Merges: ${summary.downRevisions.join(', ')}`)
  else lines.push(`Parent: ${summary.downRevisions[0] ?? '<base>'}`)
  if (summary.dependsOn.length > 0) lines.push(`Also depends on: ${summary.dependsOn.join(', ')}`)
  if (summary.isBranchPoint) lines.push(`Branches into: ${summary.children.join(', ')}`)
  if (summary.branchLabels.length > 0) lines.push(`Branch names: ${summary.branchLabels.join(', ')}`)
  if (summary.phase) lines.push(`Phase: ${summary.phase}`)
  if (!summary.transactional) lines.push('Transactional: no')
  if (!summary.hasDowngrade) lines.push('Downgrade: none')
  lines.push(`Path: ${relative(process.cwd(), summary.file) || summary.file}`)
  lines.push('')
  lines.push(`    ${summary.message || '(no message)'}`)
  lines.push('')
  lines.push(`    Revision ID: ${summary.revision}`)
  lines.push(`    Revises: ${summary.downRevisions.join(', ') || '<base>'}`)
  if (summary.createDate) lines.push(`    Create Date: ${summary.createDate}`)
  return lines.join('\n')
}
