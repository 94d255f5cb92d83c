import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'

/**
 * The revisions a command-line reference names (`head`, `heads`, a prefix, a label,
 * `ae10+1`, ...), for the commands that read migration files: `show` and `edit`.
 * `current` is read from the database when `readCurrent` is given, as Alembic's `edit
 * current` does; otherwise it is refused with where to look instead.
 */
export async function namedRevisions(
  migrations: MigrationSet,
  reference: string,
  readCurrent?: () => Promise<readonly string[]>,
): Promise<string[]> {
  const { parseTarget } = await import('../graph/target-syntax.js')
  const { targetRevisions } = await import('../runner/plan.js')
  const target = parseTarget(reference)
  if (target.kind === 'current' && readCurrent === undefined)
    throw new UsageError('show reads the migration files; the current revision is in the database', {
      hint: '`strata current --verbose` shows the revisions the database is at in full',
    })
  const rows = target.kind === 'current' && readCurrent ? await readCurrent() : []
  const revisions = targetRevisions(migrations.graph, target, rows, new Set())
  if (revisions.length === 0)
    throw new UsageError(
      target.kind === 'current'
        ? 'the database is at base: no migration has been applied, so "current" names no file'
        : `"${reference}" names no revision: it is the state before the first migration`,
      { hint: '`strata history` lists every revision; name one, or head' },
    )
  return revisions
}
