import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { prepareStatements } from '../db/prepared-statements.js'
import { STEP_DURATION_COLUMN } from '../db/record-step.js'
import { DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { BatchError, StatementBatch } from '../db/statement-batch.js'
import type { QualifiedName } from '../db/version-table.js'
import { MigrationFailedError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { BackfillProgress } from '../ops/backfill.js'
import { OnlineExecutor, type StatementSource } from '../ops/sql-executor.js'
import {
  describeLockWait,
  lockGaveUp,
  lockSettings,
  retryDelay,
  settingsSql,
  stepSettingsSql,
} from './lock-retry.js'
import type { LockWatcher } from './lock-watcher.js'
import type { Plan, PlanStep } from './plan.js'
import { failStep, recordQuery, runStep, type StepInFlight } from './run-step.js'
import { StepsInFlight } from './steps-in-flight.js'
import { type VersionChange, versionChanges } from './version-rows.js'

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
  /** How backfills pace themselves (replica lag); each call may override it. */
  readonly backfill?: ResolvedConfig['backfill'] | undefined
  /** Finds who blocks a statement that waits for a lock (optional; reports are vaguer without it). */
  readonly lockWatcher?: LockWatcher | undefined
  readonly onStep?: ((event: StepEvent) => void) | undefined
  /** A line for each lock-timeout retry. */
  readonly onLockWait?: ((line: string) => void) | undefined
  /** Progress of long operations (backfills). */
  readonly onProgress?: ((progress: BackfillProgress) => void) | undefined
  /** One-line reports from operations (duplicates moved aside, ...). */
  readonly onNotice?: ((line: string) => void) | undefined
  /**
   * Let consecutive migrations share a round trip (default). Off where that would
   * change what a setting means: before PostgreSQL 13, `statement_timeout` timed a
   * whole message, not each statement.
   */
  readonly groupMigrations?: boolean | undefined
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
    const deadlock = error instanceof MigrationFailedError && error.sqlState === DEADLOCK_DETECTED
    options.onLockWait?.(describeLockWait(step.revision, settings, attempt, blockers, delay, deadlock))
    options.lockWatcher?.reset()
    await new Promise((resolve) => setTimeout(resolve, delay))
    remaining = remaining.slice(outcome.committed)
  }
}

/** A lock timeout, or a deadlock this session gave way in: rolled back, and retried. */
function isRetryableLockTimeout(error: unknown): boolean {
  return (
    error instanceof MigrationFailedError &&
    (error.sqlState === LOCK_NOT_AVAILABLE || error.sqlState === DEADLOCK_DETECTED) &&
    error.retryable
  )
}

interface StepsOutcome {
  /** How many of the given steps are committed. */
  readonly committed: number
  readonly failure?: { readonly step: PlanStep; readonly error: unknown }
}

// Consecutive transactional migrations share a round trip (each still in its own
// transaction) until one needs an answer, a non-transactional one comes, or the
// group reaches either limit: bounded so that progress is reported as it goes.
const GROUP_MAX_STEPS = 50
const GROUP_MAX_BYTES = 1 << 20

/** Runs steps until one fails; reports how many were committed before that. */
async function runSteps(
  options: RunPlanOptions,
  steps: readonly PlanStep[],
  results: StepResult[],
): Promise<StepsOutcome> {
  const { client } = options
  const single = !options.transactionPerMigration
  const watcher = options.lockWatcher
  const batch = new StatementBatch<StatementSource>(
    client,
    // Units are owned by their plan step: a long round trip is reported by its revisions.
    watcher &&
      ((work, owners) => watcher.watch(work, owners.map((owner) => (owner as PlanStep).revision).join(', '))),
    STEP_DURATION_COLUMN,
  )
  // A transaction is open on the server, or its BEGIN waits in the batch.
  let open = false
  let grouped = 0
  const inFlight = new StepsInFlight(results, options.onStep)
  const settle = () => inFlight.settle(batch.takeOutcome())
  batch.onAnswered = settle
  // Sends the waiting group. When another transactional migration follows, its code
  // runs while the server works on this group (the group after waits for this one's
  // answer before it goes); otherwise the answer is awaited here.
  const send = async (next?: PlanStep) => {
    grouped = 0
    try {
      if (next?.meta.transactional) await batch.send()
      else await batch.flush()
    } finally {
      settle()
    }
  }
  // Commits what the single transaction holds so far (before a non-transactional step, and at the end).
  const commitOpen = async () => {
    batch.add({ sql: 'COMMIT', role: 'commit', owner: inFlight.last?.step })
    open = false
    await send()
  }
  // Which step failed (an earlier one, when its statement failed in a round trip a
  // later one caused), after the steps before it that committed are reported.
  const failure = async (run: StepInFlight, error: unknown) => {
    let cause = error
    if (!(error instanceof BatchError && error.unit.owner !== run.step)) {
      if (run.executor.earlierFailure !== undefined) cause = run.executor.earlierFailure
      else {
        // Its own failure: earlier steps still waiting in the batch are complete, so they go first.
        batch.discard(run.step)
        await batch.flush().catch((earlier: unknown) => {
          cause = earlier
        })
      }
    }
    batch.clear()
    settle()
    const failed = (cause instanceof BatchError && inFlight.of(cause.unit.owner)) || run
    if (cause instanceof BatchError) failed.executor.noteFailure(cause)
    return { step: failed.step, error: await failStep(options, failed, cause) }
  }

  const groupMaxSteps = options.groupMigrations === false ? 1 : GROUP_MAX_STEPS
  const recordChanges = recordedVersionChanges(steps, single)
  let current: StepInFlight | undefined
  try {
    const prepared = await prepareRecords(options, steps, recordChanges)
    for (const [index, step] of steps.entries()) {
      options.onStep?.({ kind: 'start', step, index, total: steps.length })
      const next = steps[index + 1]
      current = {
        step,
        startedAt: new Date(),
        settings: lockSettings(options.lock, step.meta),
        executor: new OnlineExecutor(
          client,
          // Statements run one by one (outside a transaction, op.query): reported by revision.
          watcher && { watch: (work) => watcher.watch(work, step.revision) },
          batch,
          step,
        ),
        versionChanges: recordChanges[index]!,
      }
      // Outside any transaction: commit what is open first, as Alembic's autocommit_block does.
      if (!step.meta.transactional && open) await commitOpen()
      else if (!step.meta.transactional) await send()
      inFlight.add(current)
      batch.owner = step
      if (step.meta.transactional) {
        if (!open) batch.add({ sql: 'BEGIN', role: 'control' })
        open = true
        batch.add({ sql: stepSettingsSql(current.settings), role: 'control' })
        await runStep(options, current, batch, !single, prepared)
        if (!single) open = false
        grouped++
        const full = grouped >= groupMaxSteps || batch.pendingBytes >= GROUP_MAX_BYTES
        if (full || (!single && (next === undefined || !next.meta.transactional))) await send(next)
      } else {
        await client.query(settingsSql(current.settings, false))
        await runStep(options, current, batch, false, prepared)
        await send(next)
      }
    }
    if (open) await commitOpen()
    return { committed: inFlight.committed }
  } catch (error) {
    open = false
    if (current === undefined) throw error
    const failed = await failure(current, error)
    return { committed: inFlight.committed, failure: failed }
  }
}

/**
 * What each step's record changes in the version table. With a transaction per
 * migration, its own change. With one transaction for the run, nothing until the last
 * transactional step before a COMMIT, which writes the net change of the whole
 * transaction: the rows in between are never visible outside it (a failure rolls all
 * of it back), and hundreds of updates of one row in one transaction cost the server
 * about as much as a migration's own CREATE TABLE. Alembic writes every intermediate
 * row; the committed result is the same. Every step still gets its history row.
 */
export function recordedVersionChanges(steps: readonly PlanStep[], single: boolean): VersionChange[][] {
  let opening: PlanStep | undefined
  return steps.map((step, index) => {
    if (!single || !step.meta.transactional) return [...step.changes]
    opening ??= step
    const next = steps[index + 1]
    if (next?.meta.transactional) return []
    const changes = versionChanges(opening.rowsBefore, step.rowsAfter)
    opening = undefined
    return changes
  })
}

// A record statement shared by at least this many steps of a run is prepared first.
const PREPARE_FROM_STEPS = 3

/**
 * Prepares the record statements that several transactional steps share. A record's
 * text depends only on the kinds of its version changes, so one step of each kind
 * stands for the others.
 */
async function prepareRecords(
  options: RunPlanOptions,
  steps: readonly PlanStep[],
  recordChanges: readonly (readonly VersionChange[])[],
): Promise<ReadonlyMap<string, string>> {
  const byShape = new Map<string, { step: PlanStep; changes: readonly VersionChange[]; uses: number }>()
  for (const [index, step] of steps.entries()) {
    if (!step.meta.transactional) continue
    const changes = recordChanges[index]!
    const shape = changes.map((change) => change.kind).join(',')
    const seen = byShape.get(shape)
    if (seen === undefined) byShape.set(shape, { step, changes, uses: 1 })
    else seen.uses++
  }
  const shared = [...byShape.values()].filter(({ uses }) => uses >= PREPARE_FROM_STEPS)
  if (shared.length === 0) return new Map()
  return prepareStatements(
    options.client,
    shared.map(({ step, changes }) => {
      const { text, values } = recordQuery(options, step, changes)
      return { text, parameters: values.length }
    }),
  )
}
