import type { Connection } from '../db/connect.js'
import { tableExists } from '../db/version-table.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { describeDrift } from '../runner/drift.js'
import { heldNote, limitToPhase } from '../runner/phase.js'
import { planUpgrade } from '../runner/plan.js'
import type { RunnerTables } from '../runner/run-plan.js'
import type { DatabaseStatus } from '../runner/status.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/** Pending revisions listed in the summary before it says "and N more". */
const PENDING_SHOWN = 5

/**
 * "Database at head": every head applied, or the pending revisions listed. With
 * `expected` (a deploy's target, short of head in the expand phase) those revisions
 * must be applied instead, and what is still pending is mentioned, not failed.
 */
export function checkAtHead(
  status: DatabaseStatus,
  migrations: MigrationSet,
  expected?: readonly string[],
): CheckOutcome {
  const heads = migrations.graph.heads
  if (heads.length === 0) return { status: 'ok', summary: 'no migrations defined yet' }
  if (status.atHead) return { status: 'ok', summary: `at head ${status.rows.join(', ')}` }
  if (expected !== undefined && status.unknownRows.length === 0) {
    const pending = new Set(status.pending)
    if (expected.every((revision) => !pending.has(revision)))
      return {
        status: 'ok',
        summary: `at ${status.rows.join(', ') || 'base'}, the deploy's target; ${plural(status.pending.length, 'migration')} left for a later phase`,
      }
  }
  if (status.unknownRows.length > 0)
    return {
      status: 'fail',
      summary: `at ${status.rows.join(', ')}, which no migration file defines (see "Version table consistent")`,
    }
  // Between the expand and the contract phase of a deploy: a state the release is built for.
  const betweenPhases =
    heads.length === 1
      ? limitToPhase(planUpgrade(migrations.graph, status.rows, 'head'), 'expand')
      : undefined
  if (betweenPhases !== undefined && betweenPhases.plan.steps.length === 0 && betweenPhases.held.length > 0)
    return {
      status: 'warn',
      summary: `at ${status.rows.join(', ')}, between phases: ${heldNote(betweenPhases.held)}`,
    }
  const shown = status.pending.slice(0, PENDING_SHOWN).join(', ')
  const more =
    status.pending.length > PENDING_SHOWN ? ` and ${status.pending.length - PENDING_SHOWN} more` : ''
  return {
    status: 'fail',
    summary: `${plural(status.pending.length, 'migration')} pending: ${shown}${more}`,
    details: [
      `at ${status.rows.join(', ') || 'base'}; run \`strata upgrade head\` (\`strata check\` first shows their locks)`,
    ],
  }
}

/**
 * "Version table consistent": the table exists with room for every revision id, each
 * row names a migration file, no row is an ancestor of another (Alembic keeps heads
 * only), and no applied migration file was edited afterwards.
 */
export async function checkVersionTable(
  connection: Connection,
  migrations: MigrationSet,
  tables: RunnerTables,
  /** Read once by the caller and shared with "Database at head". */
  status: DatabaseStatus,
): Promise<CheckOutcome> {
  const { client } = connection
  const name = `${tables.version.schema}.${tables.version.name}`
  if (!(await tableExists(client, tables.version))) {
    return migrations.graph.heads.length === 0
      ? { status: 'ok', summary: `${name} not created yet (no migrations)` }
      : {
          status: 'fail',
          summary: `${name} does not exist: the database was never migrated`,
          details: [
            'run `strata upgrade head`, or set migrations.versionTable/versionTableSchema if it lives elsewhere',
          ],
        }
  }
  const problems: string[] = []
  const width = await client.query<{ length: number | null; type: string }>(
    `SELECT character_maximum_length AS length, data_type AS type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND column_name = 'version_num'`,
    [tables.version.schema, tables.version.name],
  )
  const longest = Math.max(0, ...migrations.graph.all().map((meta) => meta.revision.length))
  const column = width.rows[0]
  if (column === undefined) problems.push(`${name} has no version_num column: it is not a version table`)
  else if (column.length !== null && column.length < longest)
    problems.push(
      `${name}.version_num holds ${column.length} characters; the longest revision id has ${longest}`,
    )
  for (const row of status.unknownRows) {
    problems.push(
      `row ${row} names no migration file: a wrong migrations.directories, or a file deleted after it ran (restore it, or \`strata stamp --purge REV\` to the revision the schema really is at)`,
    )
  }
  const known = status.rows.filter((row) => migrations.graph.has(row))
  for (const row of known) {
    const below = migrations.graph.ancestors([row])
    for (const other of known)
      if (below.has(other))
        problems.push(
          `row ${other} is an ancestor of row ${row}: only heads belong in the table (\`strata stamp ${row}\` to repair)`,
        )
  }
  const warnings = status.drift.map(describeDrift)
  if (problems.length > 0)
    return {
      status: 'fail',
      summary: plural(problems.length, 'problem'),
      details: [...problems, ...warnings],
    }
  if (warnings.length > 0)
    return {
      status: 'warn',
      summary: `${plural(warnings.length, 'applied migration')} edited since it ran`,
      details: warnings,
    }
  return {
    status: 'ok',
    summary: `${plural(status.rows.length, 'row')}, all known revisions; no applied file edited`,
  }
}
