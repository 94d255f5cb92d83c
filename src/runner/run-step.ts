import { recordHistory } from '../db/history-table.js'
import { recordStep } from '../db/record-step.js'
import { MigrationFailedError, OperationFailedError } from '../errors/index.js'
import { MigrationOp } from '../ops/migration-op.js'
import { OnlineExecutor } from '../ops/sql-executor.js'
import { databaseFailure, describeStatement } from './describe-failure.js'
import { lockSettings } from './lock-retry.js'
import type { PlanStep } from './plan.js'
import { runMigrationBody } from './run-migration-body.js'
import type { RunPlanOptions } from './run-plan.js'

/**
 * Runs one migration and records it. The caller has opened the transaction of a
 * transactional step; a non-transactional step records itself in a short one.
 */
export async function runStep(options: RunPlanOptions, step: PlanStep, startedAt: Date): Promise<void> {
  const { client, tables } = options
  const settings = lockSettings(options.lock, step.meta)
  const executor = new OnlineExecutor(client, options.lockWatcher)
  executor.inTransaction = step.meta.transactional
  const op = new MigrationOp(executor, {
    revision: step.revision,
    file: step.meta.file,
    direction: step.direction,
    args: options.args,
    runtime: {
      stateSchema: options.tables.version.schema,
      lockTimeoutMs: settings.lockTimeout,
      lockRetries: settings.retries,
      statementTimeoutMs: settings.statementTimeout,
      onProgress: options.onProgress,
      onNotice: options.onNotice,
    },
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

export async function failStep(
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
    retryable: step.meta.transactional || executor.completed.length === 0,
    hint:
      failure.hint ??
      (step.meta.transactional
        ? 'fix the migration and run the command again'
        : 'fix the migration; make it safe to re-run (IF NOT EXISTS) before running again'),
    cause: error,
  })
}
