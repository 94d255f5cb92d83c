import type { ResolvedConfig } from '../config/types.js'
import { migrationLockKey } from '../db/advisory-lock.js'
import { createHistoryTableSql } from '../db/history-table.js'
import { quoteIdent } from '../db/quote.js'
import { recordStepSql } from '../db/record-step.js'
import { createVersionTableSql } from '../db/version-table.js'
import { InvalidMigrationError, StrataError, UsageError } from '../errors/index.js'
import { requireRunnable } from '../graph/alembic-migration-file.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { parseRange, parseTarget } from '../graph/target-syntax.js'
import { describeCodeError } from '../ops/code-error.js'
import { MigrationOp } from '../ops/migration-op.js'
import { OfflineExecutor } from '../ops/sql-executor.js'
import { appendAll } from '../util/append-all.js'
import { STRATA_VERSION } from '../version.js'
import { lockSettings, settingsSql } from './lock-retry.js'
import { type DeployPhase, heldNote, limitToPhase } from './phase.js'
import {
  type Direction,
  type Plan,
  type PlanStep,
  planDowngrade,
  planUpgrade,
  targetRevisions,
} from './plan.js'
import { runMigrationBody } from './run-migration-body.js'
import type { RunnerTables } from './run-plan.js'
import { runnerTables } from './tables.js'
import { rowsOf } from './version-rows.js'

export interface OfflineOptions {
  readonly config: ResolvedConfig
  readonly migrations: MigrationSet
  readonly direction: Direction
  /** `TO` or `FROM:TO`; a downgrade needs `FROM:TO`, as in Alembic. */
  readonly range: string
  readonly args?: Readonly<Record<string, string>>
  readonly transactionPerMigration?: boolean
  /** As online: `expand` stops before the first contract migration. Default `all`. */
  readonly phase?: DeployPhase
}

/**
 * The complete SQL script of an upgrade or downgrade, made without any connection:
 * each migration's statements, the version-table changes and history rows, in a
 * transaction per migration (or one for the run). Run through
 * `psql -v ON_ERROR_STOP=1 -f`, it leaves the database as the online command would.
 */
export async function renderOfflineScript(
  options: OfflineOptions,
): Promise<{ script: string; plan: Plan; held: readonly PlanStep[] }> {
  const { graph } = options.migrations
  const { from, to } = options.range.includes(':')
    ? parseRange(options.range)
    : { from: undefined, to: options.range }
  if (options.direction === 'down' && from === undefined) {
    throw new UsageError('an offline downgrade needs the starting revision: FROM:TO', {
      hint: 'e.g. `strata downgrade head:base --sql` (offline mode cannot read the database)',
    })
  }
  const start = from === undefined ? [] : startingRows(options.migrations, from)
  const target = to ?? 'heads'
  // A script for the expand phase must not carry the contract drops: whoever runs it
  // runs them while the previous release still reads what they drop.
  const { plan, held } = limitToPhase(
    options.direction === 'up' ? planUpgrade(graph, start, target) : planDowngrade(graph, start, target),
    options.phase ?? 'all',
  )
  requireRunnable(plan.steps, plan.direction)
  const tables = runnerTables(options.config)
  const single = !(options.transactionPerMigration ?? options.config.migrations.transactionPerMigration)
  const lockKey = migrationLockKey(tables.version)
  const out: string[] = [
    `-- Strata ${STRATA_VERSION} offline ${options.direction === 'up' ? 'upgrade' : 'downgrade'}: ${from ?? (start.length === 0 ? 'base' : start.join(','))} -> ${target}`,
    '-- Run with: psql -v ON_ERROR_STOP=1 -f <this file>',
    ...(await destroyedDataWarning(options, plan)),
    ...(held.length > 0 ? [`-- Not in this script (phase ${options.phase}): ${heldNote(held)}`] : []),
    ...(plan.steps.length === 0 && plan.note !== undefined ? [`-- Nothing to run: ${plan.note}`] : []),
    `SELECT pg_advisory_lock(${lockKey});`,
    '',
  ]
  if (single) out.push('BEGIN;')
  out.push(...stateTablesSql(tables))

  for (const step of plan.steps) {
    const executor = new OfflineExecutor()
    executor.inTransaction = step.meta.transactional
    const settings = lockSettings(options.config.lock, step.meta)
    const op = new MigrationOp(executor, {
      revision: step.revision,
      file: step.meta.file,
      direction: step.direction,
      args: options.args ?? {},
      runtime: {
        maxReplicaLagMb: options.config.backfill.maxReplicaLagMb,
        replicaLagTimeoutMs: options.config.backfill.replicaLagTimeout,
      },
    })
    try {
      await runMigrationBody(await options.migrations.body(step.revision), step, op)
    } catch (error) {
      if (error instanceof StrataError) throw error
      const { where, opHint } = describeCodeError(error, step.meta.file)
      throw new InvalidMigrationError(
        `${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${step.revision}${step.meta.message ? ` (${step.meta.message})` : ''} could not be rendered offline: ${(error as Error)?.message ?? String(error)}`,
        {
          where,
          hint: opHint ?? 'fix the migration and render the script again',
          cause: error,
        },
      )
    }
    const arrow =
      step.direction === 'up'
        ? `${step.meta.downRevisions.join(', ')} -> ${step.revision}`
        : `${step.revision} -> ${step.rowsAfter.join(', ')}`
    out.push(
      `-- Running ${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${arrow}${step.meta.message ? `, ${step.meta.message}` : ''}`,
    )
    // The same record statement the online runner sends with the migration.
    const record = `${recordStepSql(
      tables,
      step.changes,
      {
        revision: step.revision,
        direction: step.direction,
        outcome: 'success',
        toolVersion: STRATA_VERSION,
        checksum: step.meta.checksum,
        message: step.meta.message,
      },
      step.meta.transactional && !single ? 'transaction' : 'message',
    )};`
    const statements = executor.scriptLines()
    if (step.meta.transactional) {
      if (!single) out.push('BEGIN;')
      out.push(`${settingsSql(settings, true)};`)
      appendAll(out, statements)
      out.push(record)
      if (!single) out.push('COMMIT;')
    } else {
      out.push(`-- ${step.revision} is non-transactional: its statements run outside a transaction`)
      if (single) out.push('COMMIT;')
      out.push(`${settingsSql(settings, false)};`)
      appendAll(out, statements)
      out.push('BEGIN;', record, 'COMMIT;')
      if (single) out.push('BEGIN;')
    }
    out.push('')
  }
  if (single) out.push('COMMIT;')
  out.push(`SELECT pg_advisory_unlock(${lockKey});`, '')
  return { script: out.join('\n'), plan, held }
}

/** An offline script's creation of the version and history tables (and their schema), where missing. */
export function stateTablesSql(tables: RunnerTables): string[] {
  return [
    ...(tables.version.schema === 'public'
      ? []
      : [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(tables.version.schema)};`]),
    `${createVersionTableSql(tables.version)};`,
    '',
    `${createHistoryTableSql(tables.history)};`,
    '',
  ]
}

export function startingRows(migrations: MigrationSet, from: string): string[] {
  const parsed = parseTarget(from)
  if (parsed.kind === 'current' || (parsed.kind === 'relative' && parsed.anchor.kind === 'current')) {
    throw new UsageError(`offline mode cannot know "${from}": it never connects to the database`, {
      hint: 'name the starting revision, e.g. `abc123:head`',
    })
  }
  const { graph } = migrations
  const revisions = targetRevisions(graph, parsed, [], new Set())
  return rowsOf(graph, graph.ancestors(revisions, { includeSelf: true }))
}

/**
 * The online command backs up what its steps destroy before the first one runs; a
 * script cannot look at the data, so its header says what the steps would destroy (when
 * the tables hold any) and how to back it up first.
 */
async function destroyedDataWarning(options: OfflineOptions, plan: Plan): Promise<string[]> {
  const { dataLostBySteps, describeLoss } = await import('../analysis/data-loss.js')
  const { losses, schemas } = await dataLostBySteps(
    options.migrations,
    plan.steps.map((step) => step.meta),
    plan.direction,
    options.config,
    options.args,
  )
  if (losses.length === 0 && schemas.length === 0) return []
  const what = [
    ...new Set([
      ...losses.map(describeLoss),
      ...schemas.map((item) => `schema ${item.schema} and its tables (${item.revision})`),
    ]),
  ]
  const tables = [...new Set(losses.map((loss) => loss.table))]
  return [
    `-- WARNING: these steps destroy data, where there is any: ${what.join(', ')}.`,
    `-- strata ${plan.direction === 'up' ? 'upgrade' : 'downgrade'} would back it up first; before running this script, back it up:`,
    `--   ${tables.length > 0 ? `strata backup ${tables.map((table) => `-t ${table}`).join(' ')}` : 'strata backup'}`,
  ]
}
