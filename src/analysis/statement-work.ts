import type { StatementReport } from './analyse-migration.js'

/** What a statement does to its table beyond locking it, in a few words ("rewrites table, builds index"). */
export function statementWork(statement: StatementReport): string {
  const parts: string[] = []
  if (statement.rewrites.length > 0) parts.push('rewrites table')
  if (statement.scans.length > 0) parts.push('full scan')
  if (statement.indexBuilds.length > 0) parts.push('builds index')
  if (parts.length === 0 && statement.notes.some((n) => n.includes('metadata only')))
    parts.push('metadata only')
  // A recipe's re-run guard (see its note): online, a first run skips it.
  if (statement.notes.some((n) => n.includes('only when') && n.includes('(a re-run)')))
    parts.push('re-run only')
  if (statement.heldThrough > 0) parts.push(`held through ${statement.heldThrough} more`)
  return parts.join(', ') || '-'
}
