import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { StatementBatch } from '../db/statement-batch.js'
import type { QualifiedName } from '../db/version-table.js'
import { MigrationFailedError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { BackfillProgress } from '../ops/backfill.js'
import type { StatementSource } from '../ops/sql-executor.js'
import { describeLockWait, lockGaveUp, lockSettings, retryDelay, settingsSql } from './lock-retry.js'
import type { LockWatcher } from './lock-watcher.js'
import type { Plan, PlanStep } from './plan.js'
import { commitFailed, runStep } from './run-step.js'

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
  const watcher = options.lockWatcher
  const batch = new StatementBatch<StatementSource>(client, watcher && ((work) => watcher.watch(work)))
  // A transaction is open on the server, or its BEGIN waits in the batch.
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
  // Commits what the single transaction holds so far (before a non-transactional step, and at the end).
  const commitOpen = async () => {
    batch.add({ sql: 'COMMIT', role: 'commit' })
    open = false
    try {
      await batch.flush()
    } catch (error) {
      throw commitFailed(options, pending.at(-1)?.step ?? steps[0]!, error)
    }
    publish()
  }
  try {
    for (const [index, step] of steps.entries()) {
      options.onStep?.({ kind: 'start', step, index, total: steps.length })
      const startedAt = new Date()
      const next = steps[index + 1]
      // The next migration's code loads while the server runs this one.
      const whileWaiting = () => {
        if (next !== undefined) options.migrations.body(next.revision).catch(() => undefined)
      }
      const settings = lockSettings(options.lock, step.meta)
      try {
        if (step.meta.transactional) {
          if (!open) batch.add({ sql: 'BEGIN', role: 'control' })
          open = true
          batch.add({ sql: settingsSql(settings, true), role: 'control' })
          await runStep(options, { step, startedAt, batch, settings, commit: !single, whileWaiting })
          if (!single) open = false
        } else {
          // Outside any transaction: commit what is open first, as Alembic's autocommit_block does.
          if (open) await commitOpen()
          await client.query(settingsSql(settings, false))
          await runStep(options, { step, startedAt, batch, settings, commit: false, whileWaiting })
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
      if (!single || !step.meta.transactional) publish()
    }
    if (open) await commitOpen()
    return { committed }
  } catch (error) {
    batch.clear()
    if (open) await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
