import type { ResolvedConfig } from '../config/types.js'
import { cancellationRequested } from '../db/cancellable-sessions.js'
import { connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl, withDatabase } from '../db/connection-spec.js'
import { quoteIdent } from '../db/quote.js'
import { createScratchDatabase, dropScratchDatabase, scratchName } from '../db/scratch-database.js'
import { returnToRevisions } from '../deploy/return-to-revisions.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { type ComparedSides, everyDifference } from '../health/drift/compare-catalogs.js'
import { AFTER_DOWNGRADE } from '../health/drift/compared-sides.js'
import { readManagedCatalog } from '../health/drift/schema-drift.js'
import { type MigrateOptions, upgrade, upgradeToRevisions } from '../runner/migrate.js'
import { type PlanStep, planUpgrade } from '../runner/plan.js'

/** How one migration came through up → down → up. */
export type RehearsalOutcome =
  /** Up, down and up again ran, and the downgrade restored the schema exactly. */
  | 'reversible'
  /** It has no downgrade: up ran, nothing more could be tried. */
  | 'no-downgrade'
  /** Everything ran, but the schema after the downgrade (or the second upgrade) differs. */
  | 'not-restored'
  /** A leg failed; `failedLeg` and `error` say which and why. */
  | 'failed'

export interface MigrationRehearsal {
  readonly revision: string
  readonly message: string
  readonly outcome: RehearsalOutcome
  /** Milliseconds of each leg that ran. */
  readonly up?: number
  readonly down?: number
  readonly upAgain?: number
  /** Where the schema differs: after the downgrade from before the upgrade, or after the second upgrade from after the first. */
  readonly differences: readonly string[]
  readonly failedLeg?: 'up' | 'down' | 'up again'
  readonly error?: string
  readonly hint?: string
}

export interface RehearsalReport {
  /** The server the scratch database was made on, password masked. */
  readonly server: string
  readonly scratchDatabase: string
  /** Migrations applied without rehearsal first, to reach the range's start. */
  readonly prepared: number
  readonly migrations: readonly MigrationRehearsal[]
  /** Revisions of the range not rehearsed because an upgrade they need failed. */
  readonly notReached: readonly string[]
}

export interface RehearseOptions {
  readonly config: ResolvedConfig
  /** The server (any database of it the role can connect to); the scratch database goes beside it. */
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly args?: Readonly<Record<string, string>>
  /** Where rehearsing starts: migrations up to here are only applied (default base). */
  readonly from?: string | undefined
  /** Where it ends (default `heads`). */
  readonly to?: string | undefined
  /** Each migration's result as soon as it is known. */
  readonly onMigration?: (result: MigrationRehearsal) => void
}

/**
 * The guide's "upgrade, downgrade -1, upgrade again" for every migration of a range, one
 * at a time, on a scratch database made beside the selected one and dropped afterwards:
 * each migration is applied, reverted to exactly the version rows before it, and applied
 * again. After the downgrade the schema is compared with the one before the upgrade, and
 * after the second upgrade with the one after the first: a downgrade that forgets an
 * index or an enum type is named here, not during an incident. A migration whose
 * downgrade fails or leaves something behind is reported, and the rehearsal goes on
 * from a scratch database rebuilt at that migration; one whose upgrade fails stops the
 * migrations that need it (other branches go on).
 */
export async function rehearseMigrations(options: RehearseOptions): Promise<RehearsalReport> {
  const { config, migrations } = options
  const name = scratchName(`${options.spec.database.slice(0, 40)}_rehearse`)
  const scratch = withDatabase(options.spec, name)
  const admin = await connect(options.spec)
  const createScratch = () =>
    createScratchDatabase(
      admin,
      name,
      options.spec.user,
      `ALTER ROLE ${quoteIdent(options.spec.user)} CREATEDB, or rehearse on a development server (strata dev start; strata rehearse without --url)`,
    )
  try {
    await createScratch()
    const base: MigrateOptions = { config, spec: scratch, migrations, args: options.args ?? {} }
    const prepared =
      options.from === undefined || options.from === 'base' ? undefined : await upgrade(base, options.from)
    const start = prepared?.rowsAfter ?? []
    const plan = planUpgrade(migrations.graph, start, options.to ?? 'heads')
    if (plan.steps.length === 0 && options.to !== undefined && start.length > 0) {
      // `-r a3:a1` read backwards: A:B goes up from A to B.
      const end = planUpgrade(migrations.graph, [], options.to).rowsAfter
      const below = migrations.graph.ancestors(start)
      if (end.length > 0 && end.every((row) => below.has(row)))
        throw new UsageError(`${options.to} comes before ${options.from}: a range goes up, FROM:TO`, {
          hint: `strata rehearse -r ${options.to}:${options.from}`,
        })
    }
    const results: MigrationRehearsal[] = []
    const notReached: string[] = []
    let rows = start
    for (const planned of plan.steps) {
      // Planned again from where the database is: after a failed upgrade, what needs it
      // plans more than one step (the failed one first) and is not reached; another
      // branch plans just itself and goes on.
      const steps = cancellationRequested() ? [] : planUpgrade(migrations.graph, rows, planned.revision).steps
      if (steps.length !== 1) {
        notReached.push(planned.revision)
        continue
      }
      const step = steps[0]!
      const result = await rehearseOne(base, step, async () => {
        await dropScratchDatabase(admin, name)
        await createScratch()
        await upgradeToRevisions(base, step.rowsAfter)
      })
      results.push(result)
      options.onMigration?.(result)
      if (result.outcome !== 'failed' || result.failedLeg !== 'up') rows = step.rowsAfter
    }
    return {
      server: maskedUrl(options.spec),
      scratchDatabase: name,
      prepared: prepared?.steps.length ?? 0,
      migrations: results,
      notReached,
    }
  } finally {
    await dropScratchDatabase(admin, name)
    await admin.close()
  }
}

/** Up → down → up for one migration; `rebuild` puts the scratch database at the migration when a leg went wrong. */
async function rehearseOne(
  base: MigrateOptions,
  step: PlanStep,
  rebuild: () => Promise<void>,
): Promise<MigrationRehearsal> {
  const { config, spec } = base
  const identity = { revision: step.revision, message: step.meta.message }
  const timings: { up?: number; down?: number; upAgain?: number } = {}
  const timed = async (leg: keyof typeof timings, work: () => Promise<unknown>) => {
    const started = performance.now()
    await work()
    timings[leg] = Math.round(performance.now() - started)
  }
  const failed = (leg: 'up' | 'down' | 'up again', error: unknown, differences: readonly string[] = []) => {
    const hint = (error as { hint?: string }).hint
    return {
      ...identity,
      ...timings,
      outcome: 'failed' as const,
      failedLeg: leg,
      error: (error as Error).message.split('\n')[0]!,
      ...(hint === undefined ? {} : { hint }),
      differences,
    }
  }

  const before = await readManagedCatalog(config, spec)
  try {
    await timed('up', () => upgrade(base, step.revision))
  } catch (error) {
    return failed('up', error)
  }
  if (!step.meta.hasDowngrade) return { ...identity, ...timings, outcome: 'no-downgrade', differences: [] }
  const after = await readManagedCatalog(config, spec)
  try {
    await timed('down', () => returnToRevisions(base, step.rowsBefore))
  } catch (error) {
    await rebuild()
    return failed('down', error)
  }
  const leftBehind = downgradeDifferences(await readManagedCatalog(config, spec), before)
  try {
    await timed('upAgain', () => upgrade(base, step.revision))
  } catch (error) {
    // The usual cause: what the downgrade left behind ("column ... already exists").
    await rebuild()
    return failed('up again', error, leftBehind)
  }
  const rebuiltDifferently = everyDifference(
    await readManagedCatalog(config, spec),
    after,
    AFTER_SECOND_UPGRADE,
  )
  const differences = [...leftBehind, ...rebuiltDifferently]
  // Whatever the downgrade left must not follow into the next migration's rehearsal.
  if (differences.length > 0) await rebuild()
  return {
    ...identity,
    ...timings,
    outcome: differences.length === 0 ? 'reversible' : 'not-restored',
    differences,
  }
}

const AFTER_SECOND_UPGRADE: ComparedSides = {
  live: 'after the second upgrade',
  expected: 'after the first',
  missing: 'made by the first upgrade, not by the second',
  extra: 'made by the second upgrade, not by the first',
}

/**
 * What a downgrade failed to restore: the schema after it against the schema before the
 * upgrade, an index it dropped included (the drift check reports those apart).
 */
export function downgradeDifferences(now: CatalogSnapshot, before: CatalogSnapshot): string[] {
  return everyDifference(now, before, AFTER_DOWNGRADE)
}
