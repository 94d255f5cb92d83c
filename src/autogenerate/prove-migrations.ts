import type { ConnectionSpec } from '../db/connection-spec.js'
import { withScratchDatabase } from '../db/scratch-database.js'
import { returnToRevisions } from '../deploy/return-to-revisions.js'
import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { type ComparedSides, everyDifference } from '../health/drift/compare-catalogs.js'
import { AFTER_DOWNGRADE } from '../health/drift/compared-sides.js'
import { type MigrateOptions, upgrade, upgradeToRevisions } from '../runner/migrate.js'

/** How the generated migrations fared when replayed on a scratch database. */
export interface ReplayProof {
  /** The upgrade ran and built exactly the database's schema (and the expanded one on the way). */
  readonly upgradeMatches: boolean
  /** The downgrade ran and restored exactly what the migrations built before. */
  readonly downgradeMatches: boolean
  /** What differed, or the error of a leg that failed. */
  readonly problems: readonly string[]
}

/** A revision to upgrade to, and the schema expected there. */
export interface Checkpoint {
  readonly revision: string
  readonly expected: CatalogSnapshot
  readonly sides: ComparedSides
}

export interface ProofOptions {
  readonly server: ConnectionSpec
  /** Named in the scratch database's name. */
  readonly database: string
  readonly migrate: (spec: ConnectionSpec) => MigrateOptions
  readonly readScratch: (spec: ConnectionSpec) => Promise<CatalogSnapshot>
  /** The version rows the migrations start from, and the schema they built there. */
  readonly rows: readonly string[]
  readonly built: CatalogSnapshot
  /** In upgrade order; the last is the head, expected to be the database itself. */
  readonly checkpoints: readonly Checkpoint[]
  /** Objects the downgrade's TODO says it cannot restore ("enum mood"). */
  readonly excused: ReadonlySet<string>
}

/**
 * Replays the generated migrations on a scratch database: from the starting rows up to
 * each checkpoint, compared there, then all the way down, compared with what the
 * migrations built before. The scratch database is always dropped.
 */
export function proveGeneratedMigrations(options: ProofOptions): Promise<ReplayProof> {
  return withScratchDatabase(options.server, `strata_autogen_${options.database}`, async (spec) => {
    const migrate = options.migrate(spec)
    const problems: string[] = []
    try {
      await upgradeToRevisions(migrate, options.rows)
    } catch (error) {
      return {
        upgradeMatches: false,
        downgradeMatches: false,
        problems: [`the replay failed: ${failure(error)}`],
      }
    }
    for (const checkpoint of options.checkpoints) {
      try {
        await upgrade(migrate, checkpoint.revision)
      } catch (error) {
        return {
          upgradeMatches: false,
          downgradeMatches: false,
          problems: [...problems, `the upgrade failed: ${failure(error)}`],
        }
      }
      problems.push(
        ...everyDifference(await options.readScratch(spec), checkpoint.expected, checkpoint.sides),
      )
    }
    const upgradeMatches = problems.length === 0
    let downgradeMatches = false
    try {
      await returnToRevisions(migrate, options.rows)
      const back = everyDifference(await options.readScratch(spec), options.built, AFTER_DOWNGRADE).filter(
        (line) => !options.excused.has(objectOf(line)),
      )
      problems.push(...back)
      downgradeMatches = back.length === 0
    } catch (error) {
      problems.push(`the downgrade failed: ${failure(error)}`)
    }
    return { upgradeMatches, downgradeMatches, problems }
  })
}

/** "enum mood: ..." → "enum mood": the object a TODO or a difference is about. */
export function objectOf(line: string): string {
  return line.slice(0, line.indexOf(':'))
}

/** A scratch run's error without what the runner says of the database it ran on (the scratch one, dropped). */
function failure(error: unknown): string {
  return (error as Error).message
    .split('\n')
    .filter((line) => !/^(rolled back|next):/.test(line))
    .join('\n    ')
}
