import { InterruptedError, wasCancelled } from '../db/cancellable-sessions.js'
import { recordHistory } from '../db/history-table.js'
import { executeSql } from '../db/prepared-statements.js'
import { isEditedVersionTable, type RecordedStep, recordStepQuery, recordStepSql } from '../db/record-step.js'
import { BatchError, type StatementBatch } from '../db/statement-batch.js'
import { EDITED_VERSION_TABLE_HINT, editedVersionTableMessage, readVersionRows } from '../db/version-table.js'
import { MigrationFailedError, OperationFailedError } from '../errors/index.js'
import { describeCodeError } from '../ops/code-error.js'
import { MigrationOp } from '../ops/migration-op.js'
import type { OnlineExecutor, StatementSource } from '../ops/sql-executor.js'
import { alreadyMigratedHint, partlyCommittedHint, stampedBackHint } from './already-migrated-hint.js'
import { columnReadersHint, dependentObjectsHint } from './dependency-hint.js'
import { databaseFailure, describeStatement } from './describe-failure.js'
import type { LockSettings } from './lock-retry.js'
import { partitionedTableHint } from './partitioned-table-hint.js'
import type { PlanStep } from './plan.js'
import { privilegeHint } from './privilege-hint.js'
import { runMigrationBody } from './run-migration-body.js'
import type { RunPlanOptions } from './run-plan.js'
import { sameRows, type VersionChange } from './version-rows.js'
import { violationHint } from './violation-hints.js'

/** A step the runner has started and not yet reported done. */
export interface StepInFlight {
  readonly step: PlanStep
  readonly startedAt: Date
  /** Runs the step's statements; its units in the shared batch are marked with the step. */
  readonly executor: OnlineExecutor
  /** The step's lock settings (the config's, or the migration's own). */
  readonly settings: LockSettings
  /** What the step's record changes in the version table (see `recordedVersionChanges`). */
  readonly versionChanges: readonly VersionChange[]
  /** How long the step took, as the server measured it when it recorded the step. */
  durationMs?: number
}

/**
 * Runs one migration's code and puts its record after its statements. A
 * transactional step's statements wait in the batch, where the caller put BEGIN and
 * the step's settings; its record (and COMMIT) join them, and the caller decides when
 * the batch travels (several migrations may share one round trip). A
 * non-transactional step runs statement by statement; its record waits in a short
 * transaction of its own, which the caller sends at once.
 */
export async function runStep(
  options: RunPlanOptions,
  run: StepInFlight,
  batch: StatementBatch<StatementSource>,
  /** End the step's transaction (one transaction per migration). */
  commit: boolean,
  /** Record statements prepared on the connection, by text. */
  prepared: ReadonlyMap<string, string>,
): Promise<void> {
  const { step, executor, settings } = run
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
      maxReplicaLagMb: options.backfill?.maxReplicaLagMb,
      replicaLagTimeoutMs: options.backfill?.replicaLagTimeout,
      onProgress: options.onProgress,
      onNotice: options.onNotice,
    },
  })
  const body = await options.migrations.body(step.revision)
  await runMigrationBody(body, step, op)
  // An earlier migration's statement failed in a round trip this one caused: that
  // failure stands, even if this migration's code caught it.
  if (executor.earlierFailure) throw executor.earlierFailure
  if (!step.meta.transactional) batch.add({ sql: 'BEGIN', role: 'control' })
  batch.add({ sql: recordSql(options, run, prepared), role: 'record' })
  if (commit || !step.meta.transactional) batch.add({ sql: 'COMMIT', role: 'commit' })
}

/**
 * Ends a failed step: rolls back what is open, records the failure in the history
 * table (best effort) and returns the error that says what failed, where, and what
 * is left of the step.
 */
/** What a successful step's record says. */
function recordedStep(options: RunPlanOptions, step: PlanStep): RecordedStep {
  return {
    revision: step.revision,
    direction: step.direction,
    outcome: 'success',
    toolVersion: options.toolVersion,
    checksum: step.meta.checksum,
    message: step.meta.message,
    backupId: options.backupId,
  }
}

/**
 * A transactional step's record with parameters: the same text for every step whose
 * version changes are alike, so that the runner can prepare it once (a step outside a
 * transaction is timed from a literal start, so its record is written out).
 */
export function recordQuery(
  options: RunPlanOptions,
  step: PlanStep,
  versionChanges: readonly VersionChange[],
): { text: string; values: (string | null)[] } {
  return recordStepQuery(options.tables, versionChanges, recordedStep(options, step), 'marked', true)
}

/** The step's record: its prepared statement executed, or the statement itself. */
function recordSql(
  options: RunPlanOptions,
  run: StepInFlight,
  prepared: ReadonlyMap<string, string>,
): string {
  const { step, versionChanges } = run
  // The server's clock times a step inside a transaction (from the start its settings
  // statement noted); outside one, Strata's does.
  if (!step.meta.transactional)
    return recordStepSql(options.tables, versionChanges, recordedStep(options, step), run.startedAt, true)
  // The parameterised text is only the key to a prepared statement: not built when
  // nothing is prepared (runs of few migrations).
  if (prepared.size > 0) {
    const query = recordQuery(options, step, versionChanges)
    const name = prepared.get(query.text)
    if (name !== undefined) return executeSql(name, query.values)
  }
  return recordStepSql(options.tables, versionChanges, recordedStep(options, step), 'marked', true)
}

export async function failStep(options: RunPlanOptions, run: StepInFlight, error: unknown): Promise<Error> {
  const { client } = options
  const { step, startedAt, executor } = run
  const failure = databaseFailure(error)
  const statement = executor.current
  // Ctrl-C: the running statement was cancelled (57014), or the next one never sent.
  const interrupted =
    error instanceof InterruptedError || (failure.code === QUERY_CANCELED && wasCancelled(client))
  // A failed batch leaves its transaction aborted (a non-transactional step's record too),
  // and so does a non-transactional migration's own BEGIN ... (a recipe's VALIDATE apart):
  // the failure's history row could not be written on it.
  if (step.meta.transactional || error instanceof BatchError || client.getTransactionStatus() !== 'I')
    await client.query('ROLLBACK').catch(() => undefined)
  if (error instanceof BatchError && error.unit.role === 'commit') return commitFailed(options, step, error)
  const committed = await committedBeforeFailing(options, step, error, failure.code, interrupted)
  if (committed !== undefined) return committed
  if (error instanceof BatchError && error.unit.role === 'record') {
    const edited = isEditedVersionTable(error)
    return new OperationFailedError(
      `${step.revision} was not recorded: ${edited ? editedVersionTableMessage(options.tables.version, run.versionChanges) : failure.message}`,
      { where: step.meta.file, hint: edited ? EDITED_VERSION_TABLE_HINT : failure.hint, cause: error },
    )
  }
  const lines = [
    `${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${step.revision}${step.meta.message ? ` (${step.meta.message})` : ''} failed: ${failure.code ? `ERROR ${failure.code}: ` : ''}${failure.message}`,
  ]
  if (failure.detail) lines.push(`detail: ${failure.detail}`)
  // No statement and no SQLSTATE: the migration's own code threw (a TypeError, a typo).
  const codeError =
    statement === undefined &&
    failure.code === undefined &&
    !(error instanceof OperationFailedError) &&
    !interrupted
      ? describeCodeError(error, step.meta.file)
      : undefined
  lines.push(
    codeError
      ? `in ${codeError.where}`
      : describeStatement(step.meta, statement, failure.position, failure.context),
  )
  const toLastCommit = `rolled back to ${step.revision}'s last commit: what op.autocommit committed before the failure stays (op.backfill and the recipes commit as they go, and resume from there when run again; the migration's own statements before them run again too, so they must run twice); the version table still says ${step.rowsBefore.join(', ') || 'base'}`
  if (step.meta.transactional && executor.committedEarly) {
    lines.push(toLastCommit)
  } else if (step.meta.transactional) {
    lines.push(
      options.transactionPerMigration
        ? `rolled back: ${step.revision} left no change; the database stays at ${step.rowsBefore.join(', ') || 'base'}`
        : 'rolled back: the whole run was one transaction, so the database is as it was before the run',
    )
  } else {
    lines.push(
      `${step.revision} is non-transactional, so what ran before the failure stays: ${executor.completed.length === 0 ? 'no statement completed' : `${executor.completed.length} statement(s) completed: ${completedList(executor.completed)}`}; the version table still says ${step.rowsBefore.join(', ') || 'base'}`,
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
  const privilege = interrupted ? undefined : await privilegeHint(client, failure, statement?.sql)
  const stampedBack = interrupted
    ? undefined
    : await stampedBackHint(client, failure, step, options.tables.history)
  const alreadyMigrated = interrupted ? undefined : await alreadyMigratedHint(client, failure, step)
  const partlyCommitted = interrupted
    ? undefined
    : await partlyCommittedHint(client, failure, step, options.tables.history, startedAt)
  if (error instanceof OperationFailedError) {
    // A recipe's refusal says what it changed itself; what the migration committed before
    // it (an earlier recipe's steps, its own statements before op.autocommit) is said here.
    const committedBefore =
      step.meta.transactional && executor.committedWork === true ? `\n${toLastCommit}` : ''
    return new MigrationFailedError(`${lines[0]}${committedBefore}`, step.revision, undefined, {
      where: step.meta.file,
      hint: error.hint,
      cause: error,
    })
  }
  return new MigrationFailedError(lines.join('\n'), step.revision, failure.code, {
    where: step.meta.file,
    retryable: step.meta.transactional || executor.completed.length === 0,
    invalidMigration: codeError?.opHint !== undefined,
    hint: interrupted
      ? step.meta.transactional
        ? 'nothing of it was applied; run the command again to apply it'
        : 'run the command again: it resumes this migration (finish or clean up what its completed statements left, e.g. an invalid index from CREATE INDEX CONCURRENTLY, which strata verify lists)'
      : (dependentObjectsHint(failure) ??
        columnReadersHint(failure) ??
        partitionedTableHint(failure) ??
        (failure.code === UNSAFE_NEW_ENUM_VALUE ? NEW_ENUM_VALUE_HINT : undefined) ??
        failure.hint ??
        privilege ??
        stampedBack ??
        partlyCommitted ??
        alreadyMigrated ??
        codeError?.opHint ??
        violationHint(failure, statement?.sql) ??
        (failure.code === OUTSIDE_TRANSACTION_ONLY && step.meta.transactional
          ? (indexOnNewTableHint(statement?.sql, executor.completed) ?? nonTransactionalHint(step.meta.file))
          : step.meta.transactional
            ? 'fix the migration and run the command again'
            : 'fix the migration; make it safe to re-run (IF NOT EXISTS) before running again')),
    cause: error,
  })
}

/**
 * A failure of Strata's own (no SQLSTATE, no statement of the migration's, no Ctrl-C)
 * may come after the server answered the message that committed the step: a seed of
 * 200,000 INSERTs was applied and recorded, and then reported "rolled back: left no
 * change" because Strata threw while noting the answer. The version table says which:
 * when it holds the step's rows after, the step committed, and that is what is said (no
 * failed history row is written over the successful one).
 */
async function committedBeforeFailing(
  options: RunPlanOptions,
  step: PlanStep,
  error: unknown,
  sqlState: string | undefined,
  interrupted: boolean,
): Promise<Error | undefined> {
  if (interrupted || error instanceof BatchError || sqlState !== undefined) return undefined
  if (!step.meta.transactional || !options.transactionPerMigration) return undefined
  const rows = await readVersionRows(options.client, options.tables.version, { elsewhere: 'ignore' }).catch(
    () => undefined,
  )
  if (rows === undefined || !sameRows(rows, step.rowsAfter) || sameRows(rows, step.rowsBefore))
    return undefined
  return new OperationFailedError(
    `${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${step.revision}${step.meta.message ? ` (${step.meta.message})` : ''}: the server committed it, then Strata failed: ${(error as Error)?.message ?? String(error)}. The database is at ${rows.join(', ') || 'base'}: ${step.revision} needs no second run`,
    {
      where: step.meta.file,
      hint: 'this is a fault in Strata, not in the migration: run the command again to go on from here, and report it with the stack trace that --debug prints',
      cause: error,
    },
  )
}

/**
 * SQLSTATE 55P04 (unsafe_new_enum_value_usage): a value `ALTER TYPE ... ADD VALUE` added
 * earlier in the same transaction, used before that transaction committed. PostgreSQL's
 * own hint says why, not how to write the migration.
 */
const UNSAFE_NEW_ENUM_VALUE = '55P04'
const NEW_ENUM_VALUE_HINT =
  'a new enum value can be used only once the transaction that added it has committed: add the value in a migration of its own, before this one (or run that statement outside the transaction: op.autocommit in TS), then use it; strata check reports this as enum-value-in-transaction'

/** SQLSTATE 57014: the statement was cancelled (here: by Strata, on Ctrl-C). */
const QUERY_CANCELED = '57014'

/** SQLSTATE 25001: CONCURRENTLY, VACUUM, ALTER SYSTEM... "cannot run inside a transaction block". */
const OUTSIDE_TRANSACTION_ONLY = '25001'

/**
 * CREATE INDEX CONCURRENTLY on a table the same migration created: the way out is not
 * a migration without a transaction but a plain CREATE INDEX, since nobody uses the new,
 * empty table yet.
 */
function indexOnNewTableHint(sql: string | undefined, before: readonly string[]): string | undefined {
  const table = /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b.*?\bON\s+(?:ONLY\s+)?([\w."]+)/is.exec(
    sql ?? '',
  )?.[1]
  if (table === undefined) return undefined
  const bare = table.replace(/"/g, '').toLowerCase()
  const created = before.some((earlier) => {
    const name = /^\s*CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w."]+)/i.exec(earlier)?.[1]
    return name !== undefined && name.replace(/"/g, '').toLowerCase() === bare
  })
  if (!created) return undefined
  return `${table} is created by this migration, so nobody uses it yet: drop CONCURRENTLY and the build blocks no one, in the migration's one transaction`
}

/** How to run a migration outside a transaction, in its own file format. */
function nonTransactionalHint(file: string): string {
  const rerun =
    '(each statement then commits on its own, so make the others safe to re-run, e.g. IF NOT EXISTS)'
  if (file.endsWith('.sql'))
    return `PostgreSQL runs this statement only outside a transaction: add the header line \`-- transactional: false\` to the migration ${rerun}, or move the statement into a migration of its own with that header`
  return `PostgreSQL runs this statement only outside a transaction: run it as \`await op.autocommit(() => op.execute(...))\`, or add \`export const transactional = false\` to the migration ${rerun}`
}

/** A COMMIT that failed (a deferred constraint, a serialization failure): the step is rolled back. */
export function commitFailed(options: RunPlanOptions, step: PlanStep, error: unknown): Error {
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

/** The statements a failed non-transactional migration completed: the first five and the last, shortened. */
function completedList(completed: readonly string[]): string {
  const shown = completed.length <= 6 ? completed : [...completed.slice(0, 5), completed.at(-1)!]
  const texts = shown.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 80))
  if (completed.length > 6) texts.splice(5, 0, `(${completed.length - 6} more)`)
  return texts.join(' | ')
}
