import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import type { QualifiedName } from '../db/version-table.js'
import { MigrationFailedError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { BackfillProgress } from '../ops/backfill.js'
import { databaseFailure } from './describe-failure.js'
import { describeLockWait, lockGaveUp, lockSettings, retryDelay, settingsSql } from './lock-retry.js'
import type { LockWatcher } from './lock-watcher.js'
import type { Plan, PlanStep } from './plan.js'
import { runStep } from './run-step.js'

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
  /** Lock settings of the config; each migration may override them. */
  readonly lock: ResolvedConfig['lock']
  /** Finds who blocks a statement that waits for a lock (optional; reports are vaguer without it). */
  readonly lockWatcher?: LockWatcher | undefined
  readonly onStep?: ((event: StepEvent) => void) | undefined
  /** A line for each lock-timeout retry. */
  readonly onLockWait?: ((line: string) => void) | undefined
  /** Progress of long operations (backfills). */
  readonly onProgress?: ((progress: BackfillProgress) => void) | undefined
  /** One-line reports from operations (duplicates moved aside, ...). */
  readonly onNotice?: ((line: string) => void) | undefined
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
 * after it succeeds. Every statement runs under `lock_timeout`: a migration that
 * cannot get its lock is rolled back and retried after a growing, jittered wait,
 * instead of queueing (and making every other query queue behind it). On any other
 * failure the error names the revision, file, statement and PostgreSQL error;
 * earlier migrations of the run stay applied, unless the whole run is one transaction.
 */
export async function runPlan(options: RunPlanOptions): Promise<StepResult[]> {
  const results: StepResult[] = []
  let remaining = options.plan.steps
  const attempts = new Map<string, number>()
  for (;;) {
    const outcome = await runSteps(options, remaining, results)
    if (outcome.failure === undefined) return results
    const { step, error } = outcome.failure
    const settings = lockSettings(options.lock, step.meta)
    const attempt = (attempts.get(step.revision) ?? 0) + 1
    attempts.set(step.revision, attempt)
    const blockers = options.lockWatcher?.blockers ?? []
    if (!isRetryableLockTimeout(error)) throw error
    if (attempt > settings.retries) throw lockGaveUp(step.meta, step.direction, settings, blockers, error)
    const delay = retryDelay(settings, attempt)
    options.onLockWait?.(describeLockWait(step.revision, settings, attempt, blockers, delay))
    options.lockWatcher?.reset()
    await new Promise((resolve) => setTimeout(resolve, delay))
    remaining = remaining.slice(outcome.committed)
  }
}

function isRetryableLockTimeout(error: unknown): boolean {
  return error instanceof MigrationFailedError && error.sqlState === LOCK_NOT_AVAILABLE && error.retryable
}

interface StepsOutcome {
  /** How many of the given steps are committed. */
  readonly committed: number
  readonly failure?: { readonly step: PlanStep; readonly error: unknown }
}

/** Runs steps until one fails; reports how many were committed before that. */
async function runSteps(
  options: RunPlanOptions,
  steps: readonly PlanStep[],
  results: StepResult[],
): Promise<StepsOutcome> {
  const { client } = options
  const single = !options.transactionPerMigration
  let open = false
  let committed = 0
  let pending: { result: StepResult; step: PlanStep }[] = []
  const publish = () => {
    for (const { result, step } of pending) {
      results.push(result)
      options.onStep?.({ kind: 'done', step, durationMs: result.durationMs })
    }
    committed += pending.length
    pending = []
  }
  const settingsOf = (step: PlanStep) => settingsSql(lockSettings(options.lock, step.meta), true)
  // BEGIN and the migration's lock settings travel in one message; between two
  // transactional migrations COMMIT joins them. No migration statement shares these
  // messages, so error positions stay exact.
  const begin = async (step: PlanStep) => {
    await client.query(`BEGIN; ${settingsOf(step)}`)
    open = true
  }
  const commit = async (step: PlanStep, next: PlanStep | undefined) => {
    try {
      await client.query(next === undefined ? 'COMMIT' : `COMMIT; BEGIN; ${settingsOf(next)}`)
      open = next !== undefined
    } catch (error) {
      open = false
      throw await commitFailed(options, step, error)
    }
    publish()
  }
  try {
    for (const [index, step] of steps.entries()) {
      options.onStep?.({ kind: 'start', step, index, total: steps.length })
      const startedAt = new Date()
      const next = steps[index + 1]
      try {
        if (step.meta.transactional) {
          if (!open) await begin(step)
          await runStep(options, step, startedAt)
        } else {
          // Outside any transaction: commit what is open first, as Alembic's autocommit_block does.
          if (open) await commit(steps[index - 1]!, undefined)
          await client.query(settingsSql(lockSettings(options.lock, step.meta), false))
          await runStep(options, step, startedAt)
        }
      } catch (error) {
        open = false // runStep rolled back what it could
        pending = []
        return { committed, failure: { step, error } }
      }
      pending.push({
        step,
        result: {
          revision: step.revision,
          direction: step.direction,
          durationMs: Date.now() - startedAt.getTime(),
        },
      })
      if (!step.meta.transactional) publish()
      else if (!single) await commit(step, next?.meta.transactional ? next : undefined)
    }
    if (open) await commit(steps.at(-1)!, undefined)
    return { committed }
  } catch (error) {
    if (open) await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
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
