import type pg from 'pg'
import { MIGRATION_TOOL_TABLES } from '../adopt/migration-tool-tables.js'
import { lastFailedUpgrade, stampBelowApplied } from '../db/history-table.js'
import type { QualifiedName } from '../db/version-table.js'
import type { DatabaseFailure } from './describe-failure.js'
import type { PlanStep } from './plan.js'

/** SQLSTATEs of a CREATE or ADD meeting what is already there (table, object, column, schema). */
const ALREADY_THERE = new Set(['42P07', '42710', '42701', '42P06'])

/**
 * For the first migration of a database Strata sees at base, failing because what it
 * creates already exists: the database was migrated by another tool (its bookkeeping
 * table is there) or by hand, and was never stamped. "Fix the migration" would send the
 * user to edit a correct file; the way is to stamp the revision the database is at.
 * Undefined for other failures.
 */
export async function alreadyMigratedHint(
  client: pg.ClientBase,
  failure: DatabaseFailure,
  step: PlanStep,
): Promise<string | undefined> {
  // A non-transactional migration's own earlier run may have left what it meets: its
  // re-run advice applies there, not this.
  if (
    step.direction !== 'up' ||
    !step.meta.transactional ||
    step.rowsBefore.length > 0 ||
    !ALREADY_THERE.has(failure.code ?? '')
  )
    return undefined
  let tools: { table: string; tool: string }[] = []
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1) AND pg_table_is_visible(c.oid)`,
      [
        Object.keys(MIGRATION_TOOL_TABLES).filter(
          (table) => !MIGRATION_TOOL_TABLES[table]!.includes('Strata'),
        ),
      ],
    )
    tools = rows.map((row) => ({ table: row.name, tool: MIGRATION_TOOL_TABLES[row.name]! }))
  } catch {
    // Without the catalog, the general advice below still holds.
  }
  const by =
    tools.length > 0
      ? `it was migrated by ${tools.map((found) => `${found.tool} (its table ${found.table} is here)`).join(' or ')}`
      : 'it was migrated by another tool or by hand'
  return `the database has no Strata revision yet, but already holds what ${step.revision} creates: ${by}. Do not edit the migration: mark the revision the database is at with \`strata stamp REV\` (\`strata convert DIR --dry-run\` names it for another tool's converted migrations), then upgrade from there; for a schema no migration describes, adopt it with \`strata revision -m "baseline" --baseline\``
}

/**
 * For a transactional migration run again after a failed run, failing because what it
 * creates already exists: the earlier run committed part of it (op.backfill and
 * op.autocommit commit what came before them), and the statements before that point do
 * not run twice. "Fix the migration" is right, but not where: say which statements and
 * how. Undefined for other failures, or when no earlier run of it failed.
 */
export async function partlyCommittedHint(
  client: pg.ClientBase,
  failure: DatabaseFailure,
  step: PlanStep,
  history: QualifiedName,
  startedAt: Date,
): Promise<string | undefined> {
  if (step.direction !== 'up' || !step.meta.transactional || !ALREADY_THERE.has(failure.code ?? ''))
    return undefined
  const earlier = await lastFailedUpgrade(client, history, step.revision, startedAt).catch(() => undefined)
  if (earlier === undefined) return undefined
  return `an earlier run of ${step.revision} failed (${earlier.toISOString().replace('T', ' ').slice(0, 19)} UTC) after committing what came before its op.backfill, op.autocommit or recipe call, and the re-run meets it. Write those statements to run twice (TS: { ifNotExists: true }; SQL: IF NOT EXISTS), as \`strata check\` asks (not-rerunnable), then run the command again`
}

/**
 * For a migration that meets what it creates because it was applied once and the
 * version table was later stamped below it (the guide's "stamp head-1, fix by hand,
 * upgrade again"), without a downgrade undoing it: its changes, or part of them, are
 * still in the database. "Fix the migration" would send the user to a correct file.
 * Undefined for other failures, or when the history shows no such stamp.
 */
export async function stampedBackHint(
  client: pg.ClientBase,
  failure: DatabaseFailure,
  step: PlanStep,
  history: QualifiedName,
): Promise<string | undefined> {
  if (step.direction !== 'up' || !ALREADY_THERE.has(failure.code ?? '')) return undefined
  const found = await stampBelowApplied(client, history, step.revision).catch(() => undefined)
  if (found === undefined) return undefined
  const at = (date: Date) => `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`
  return `${step.revision} was applied at ${at(found.applied)} and never downgraded; a stamp at ${at(found.stamped)} (to ${found.target}) moved the version table below it without undoing it, so what it creates is still here. If all of ${step.revision}'s changes are in place, \`strata stamp ${step.revision}\` records it; if part was undone by hand, drop what remains of it, then run the command again`
}
