import type pg from 'pg'
import { recordHistory } from '../db/history-table.js'
import { recordStep } from '../db/record-step.js'
import type { QualifiedName } from '../db/version-table.js'
import { MigrationFailedError, OperationFailedError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { MigrationOp } from '../ops/migration-op.js'
import { OnlineExecutor } from '../ops/sql-executor.js'
import { databaseFailure, describeStatement } from './describe-failure.js'
import type { Plan, PlanStep } from './plan.js'
import { runMigrationBody } from './run-migration-body.js'

export interface RunnerTables {
  readonly version: QualifiedName
  readonly history: QualifiedName
}

/** Progress of a run, for the CLI's lines and a library caller's own reporting. */
export type StepEvent =
  | { readonly kind: 'start'; readonly step: PlanStep; readonly index: number; readonly total: number }
  | { readonly kind: 'done'; readonly step: PlanStep; readonly durationMs: number }

export interface RunPlanOptions {
  readonly client: pg.ClientBase
  readonly migrations: MigrationSet
  readonly plan: Plan
  readonly tables: RunnerTables
  /** One transaction per migration (default), or one for the whole run. */
  readonly transactionPerMigration: boolean
  readonly args: Readonly<Record<string, string>>
  readonly toolVersion: string
  readonly backupId?: string | undefined
  readonly onStep?: ((event: StepEvent) => void) | undefined
}

export interface StepResult {
  readonly revision: string
  readonly direction: 'up' | 'down'
  readonly durationMs: number
}

/**
 * Runs a plan. Each transactional migration runs in a transaction together with its
 * version-table change and history row, so it is applied and recorded completely or
 * not at all. A non-transactional migration runs in autocommit and is recorded right
 * after it succeeds. On failure the migration is rolled back (or, when it cannot be,
 * exactly what ran is reported), a failed history row is written, and the error
 * names the revision, file, statement and PostgreSQL error. Earlier migrations of
 * the run stay applied, unless the whole run is one transaction.
 */
export async function runPlan(options: RunPlanOptions): Promise<StepResult[]> {
  const { client, plan } = options
  const results: StepResult[] = []
  const single = !options.transactionPerMigration
  const steps = plan.steps
  let open = false
  const begin = async () => {
    if (open) return
    await client.query('BEGIN')
    open = true
  }
  // Between two transactional migrations, COMMIT and the next BEGIN travel in one
  // message: one round trip less per migration, and no migration statement shares it,
  // so error positions stay exact.
  const commit = async (step: PlanStep, reopen: boolean) => {
    if (!open) return
    try {
      await client.query(reopen ? 'COMMIT; BEGIN' : 'COMMIT')
      open = reopen
    } catch (error) {
      open = false
      throw await commitFailed(options, step, error)
    }
  }
  try {
    for (const [index, step] of steps.entries()) {
      options.onStep?.({ kind: 'start', step, index, total: steps.length })
      const startedAt = new Date()
      const next = steps[index + 1]
      if (step.meta.transactional) {
        await begin()
        try {
          await runStep(options, step, startedAt)
        } catch (error) {
          open = false // failStep rolled the transaction back
          throw error
        }
        if (!single) await commit(step, next?.meta.transactional === true)
      } else {
        // Outside any transaction: commit what is open first, as Alembic's autocommit_block does.
        if (open) await commit(step, false)
        await runStep(options, step, startedAt)
      }
      const durationMs = Date.now() - startedAt.getTime()
      results.push({ revision: step.revision, direction: step.direction, durationMs })
      options.onStep?.({ kind: 'done', step, durationMs })
    }
    if (open) await commit(steps.at(-1)!, false)
  } catch (error) {
    if (open) await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
  return results
}

/** A COMMIT that failed (a deferred constraint, a serialization failure): the step is rolled back. */
async function commitFailed(options: RunPlanOptions, step: PlanStep, error: unknown): Promise<Error> {
  const failure = databaseFailure(error)
  return new MigrationFailedError(
    `${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${step.revision} failed at COMMIT: ${failure.code ? `ERROR ${failure.code}: ` : ''}${failure.message}\nrolled back: ${step.revision} left no change${options.transactionPerMigration ? '' : ' (and, in one transaction, neither did the rest of the run)'}`,
    step.revision,
    failure.code,
    {
      where: step.meta.file,
      hint: failure.hint ?? 'a deferred constraint is checked at COMMIT; fix the data or the migration',
      cause: error,
    },
  )
}

async function runStep(options: RunPlanOptions, step: PlanStep, startedAt: Date): Promise<void> {
  const { client, tables } = options
  const executor = new OnlineExecutor(client)
  const op = new MigrationOp(executor, {
    revision: step.revision,
    file: step.meta.file,
    direction: step.direction,
    args: options.args,
  })
  const body = await options.migrations.body(step.revision)
  try {
    await runMigrationBody(body, step, op)
  } catch (error) {
    throw await failStep(options, step, startedAt, error, executor)
  }
  const record = () =>
    recordStep(client, tables, step.changes, {
      revision: step.revision,
      direction: step.direction,
      startedAt,
      finishedAt: new Date(),
      outcome: 'success',
      toolVersion: options.toolVersion,
      checksum: step.meta.checksum,
      message: step.meta.message,
      backupId: options.backupId,
    })
  if (step.meta.transactional) {
    await record()
  } else {
    await client.query('BEGIN')
    try {
      await record()
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  }
}

async function failStep(
  options: RunPlanOptions,
  step: PlanStep,
  startedAt: Date,
  error: unknown,
  executor: OnlineExecutor,
): Promise<Error> {
  const { client } = options
  const failure = databaseFailure(error)
  const statement = executor.current
  if (step.meta.transactional) await client.query('ROLLBACK').catch(() => undefined)
  const lines = [
    `${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${step.revision}${step.meta.message ? ` (${step.meta.message})` : ''} failed: ${failure.code ? `ERROR ${failure.code}: ` : ''}${failure.message}`,
  ]
  if (failure.detail) lines.push(`detail: ${failure.detail}`)
  lines.push(describeStatement(step.meta, statement, failure.position))
  if (step.meta.transactional) {
    lines.push(
      options.transactionPerMigration
        ? `rolled back: ${step.revision} left no change; the database stays at ${step.rowsBefore.join(', ') || 'base'}`
        : 'rolled back: the whole run was one transaction, so the database is as it was before the run',
    )
  } else {
    lines.push(
      `${step.revision} is non-transactional, so what ran before the failure stays: ${executor.completed.length === 0 ? 'no statement completed' : `${executor.completed.length} statement(s) completed: ${executor.completed.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 80)).join(' | ')}`}; the version table still says ${step.rowsBefore.join(', ') || 'base'}`,
    )
  }
  try {
    await recordHistory(client, options.tables.history, {
      revision: step.revision,
      direction: step.direction,
      startedAt,
      finishedAt: new Date(),
      outcome: 'failed',
      error: `${failure.code ?? ''} ${failure.message}`.trim(),
      toolVersion: options.toolVersion,
      checksum: step.meta.checksum,
      message: step.meta.message,
      backupId: options.backupId,
    })
  } catch {
    // Recording is best effort: the failure itself is what must reach the user.
  }
  if (error instanceof OperationFailedError) {
    return new MigrationFailedError(`${lines[0]}`, step.revision, undefined, {
      where: step.meta.file,
      hint: error.hint,
      cause: error,
    })
  }
  return new MigrationFailedError(lines.join('\n'), step.revision, failure.code, {
    where: step.meta.file,
    hint:
      failure.hint ??
      (step.meta.transactional
        ? 'fix the migration and run the command again'
        : 'fix the migration; make it safe to re-run (IF NOT EXISTS) before running again'),
    cause: error,
  })
}
