import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import { type ConnectionSpec, parseConnectionString } from '../db/connection-spec.js'
import { ScratchDatabaseError, withScratchDatabase } from '../db/scratch-database.js'
import { readVersionRows, tableExists } from '../db/version-table.js'
import { returnToRevisions } from '../deploy/return-to-revisions.js'
import { InvalidInputError } from '../errors/index.js'
import type { CreatedRevision } from '../graph/create-revision.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import { type CatalogSnapshot, readCatalog } from '../health/drift/catalog-snapshot.js'
import { type ComparedSides, everyDifference } from '../health/drift/compare-catalogs.js'
import { AFTER_DOWNGRADE } from '../health/drift/compared-sides.js'
import { tableFilter } from '../health/drift/schema-drift.js'
import { managedSchemas } from '../health/managed-schemas.js'
import { type MigrateOptions, upgrade, upgradeToRevisions } from '../runner/migrate.js'
import { stamp } from '../runner/stamp.js'
import { runnerTables } from '../runner/tables.js'
import { renameHints } from './rename-hints.js'
import { schemaChanges } from './schema-changes.js'
import { writeGeneratedMigrations } from './write-generated-migrations.js'

export interface AutogenerateOptions {
  readonly config: ResolvedConfig
  /** The database changed by hand (usually the development server). */
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly message: string
  readonly revId?: string | undefined
  readonly directory: string
  readonly args?: Readonly<Record<string, string>>
}

/** How the generated migration fared when replayed on a scratch database. */
export interface ReplayProof {
  /** The upgrade ran and built exactly the database's schema. */
  readonly upgradeMatches: boolean
  /** The downgrade ran and restored exactly what the migrations built before. */
  readonly downgradeMatches: boolean
  /** What differed, or the error of a leg that failed. */
  readonly problems: readonly string[]
}

export interface AutogenerateResult {
  /**
   * The migrations written, in order: the schema changes, then (when there are any) the
   * CONCURRENTLY builds and validations outside a transaction. Empty when the database
   * matches its migrations.
   */
  readonly created: readonly CreatedRevision[]
  readonly database: string
  /** The version rows the database was at, and what the new migration revises. */
  readonly from: readonly string[]
  readonly upgradeStatements: number
  readonly downgradeStatements: number
  readonly byHand: readonly string[]
  /** A dropped column or table that may have been renamed, with the RENAME to use then (also in the file). */
  readonly renames: readonly string[]
  /** What the downgrade cannot undo (an added enum value): a TODO in its section. */
  readonly downgradeByHand: readonly string[]
  readonly proof: ReplayProof | undefined
  /** The database was stamped at the new revision: it already has the changes. */
  readonly stamped: boolean
}

/**
 * `strata revision --autogenerate`: the schema changes made to a database by hand (in
 * psql, by an ORM's sync, in a GUI) become a migration. The migrations are replayed on
 * a scratch database to the database's revision and the two catalogs compared; the
 * upgrade turns the replayed schema into the database's, the downgrade turns it back.
 * The new migration is then proven on another scratch database: upgraded, compared
 * with the database (no difference left), downgraded, compared with the replay. Only
 * then is the database stamped at the new revision, since it already has the changes.
 */
export async function autogenerateRevision(options: AutogenerateOptions): Promise<AutogenerateResult> {
  const { config, spec, migrations } = options
  const heads = migrations.graph.heads
  const keep = tableFilter(config)
  if (heads.length > 1)
    throw new InvalidInputError(
      `the migrations have ${heads.length} heads (${heads.join(', ')}); nothing written`,
      {
        hint: `merge them first: strata merge -m "merge" heads`,
      },
    )
  const { rows, schemas, live } = await withConnection(spec, async (connection) => {
    const table = runnerTables(config).version
    const rows = (await tableExists(connection.client, table))
      ? await readVersionRows(connection.client, table)
      : []
    const { schemas } = await managedSchemas(connection.client, config.health.schemas)
    return { rows, schemas, live: await readCatalog(connection.client, schemas, keep) }
  })
  const atHead = [...rows].sort().join(',') === [...heads].sort().join(',')
  if (!atHead)
    throw new InvalidInputError(
      `${spec.database} is at ${rows.length === 0 ? 'base' : rows.join(', ')}, not at the head ${heads[0] ?? '(none)'}; nothing written`,
      {
        hint: 'upgrade it first (strata upgrade head), so that only the changes made by hand are generated',
      },
    )

  const scratchServer =
    config.health.scratchUrl === undefined ? spec : parseConnectionString(config.health.scratchUrl)
  const migrate = (scratch: ConnectionSpec, set: MigrationSet): MigrateOptions => ({
    config,
    spec: scratch,
    migrations: set,
    args: options.args ?? {},
  })
  const readScratch = (scratch: ConnectionSpec) =>
    withConnection(scratch, (connection) => readCatalog(connection.client, schemas, keep))
  const built = await withScratchDatabase(
    scratchServer,
    `strata_autogen_${spec.database}`,
    async (scratch) => {
      await upgradeToRevisions(migrate(scratch, migrations), rows)
      return readScratch(scratch)
    },
  ).catch((error: unknown) => {
    if (!(error instanceof ScratchDatabaseError) || !error.noCreatedb) throw error
    throw new ScratchDatabaseError(error.message, true, {
      hint: `${error.hint}; or set health.scratchUrl to a server where Strata may create one (the migrations are replayed there to compare)`,
    })
  })

  // Production's forms for tables that hold rows; the downgrade leaves the indexes built
  // online to the online migration's own downgrade.
  const up = schemaChanges(built, live, { online: true, leaveIndexes: new Set() })
  const down = schemaChanges(live, built, { online: false, leaveIndexes: new Set(up.builtOnline) })
  const result = {
    database: spec.database,
    from: rows,
    upgradeStatements: up.statements.length + up.online.length,
    downgradeStatements: down.statements.length + up.builtOnline.length,
    byHand: up.byHand,
    downgradeByHand: down.byHand,
    renames: renameHints(built, live),
  }
  const nothing = up.statements.length === 0 && up.online.length === 0 && up.byHand.length === 0
  if (nothing) return { ...result, created: [], proof: undefined, stamped: false }

  const created = await writeGeneratedMigrations(
    { config, migrations, message: options.message, revId: options.revId, directory: options.directory },
    up,
    down,
    result.renames,
  )
  if (up.byHand.length > 0) return { ...result, created, proof: undefined, stamped: false }

  // Loaded again: the set now holds the new files.
  const withNew = await loadMigrations(config)
  const head = created.at(-1)!.revision
  const proof = await proveRevision(head, rows, live, built, {
    server: scratchServer,
    database: spec.database,
    migrate: (scratch) => migrate(scratch, withNew),
    readScratch,
    // What the downgrade's TODO says it cannot undo (an added enum value) is no failure.
    excused: new Set(down.byHand.map(objectOf)),
  })
  if (!proof.upgradeMatches || !proof.downgradeMatches) return { ...result, created, proof, stamped: false }
  // Stamped only if the database is still what the migrations were generated from.
  const now = await withConnection(spec, (connection) => readCatalog(connection.client, schemas, keep))
  const changed = everyDifference(now, live, { ...AFTER_UPGRADE, live: 'now', expected: 'when generated' })
  if (changed.length > 0)
    return {
      ...result,
      created,
      proof: { ...proof, problems: [`${spec.database} changed meanwhile:`, ...changed] },
      stamped: false,
    }
  await stamp({ config, spec, migrations: withNew }, [head])
  return { ...result, created, proof, stamped: true }
}

const AFTER_UPGRADE: ComparedSides = {
  live: 'after the generated upgrade',
  expected: 'in the database',
  missing: 'in the database, not made by the generated upgrade',
  extra: 'made by the generated upgrade, not in the database',
}

async function proveRevision(
  revision: string,
  rows: readonly string[],
  live: CatalogSnapshot,
  built: CatalogSnapshot,
  scratch: {
    server: ConnectionSpec
    database: string
    migrate: (spec: ConnectionSpec) => MigrateOptions
    readScratch: (spec: ConnectionSpec) => Promise<CatalogSnapshot>
    excused: ReadonlySet<string>
  },
): Promise<ReplayProof> {
  return withScratchDatabase(scratch.server, `strata_autogen_${scratch.database}`, async (spec) => {
    const options = scratch.migrate(spec)
    const problems: string[] = []
    try {
      await upgradeToRevisions(options, rows)
      await upgrade(options, revision)
    } catch (error) {
      return {
        upgradeMatches: false,
        downgradeMatches: false,
        problems: [`the upgrade failed: ${failure(error)}`],
      }
    }
    const after = everyDifference(await scratch.readScratch(spec), live, AFTER_UPGRADE)
    problems.push(...after)
    let downgradeMatches = false
    try {
      await returnToRevisions(options, rows)
      const back = everyDifference(await scratch.readScratch(spec), built, AFTER_DOWNGRADE).filter(
        (line) => !scratch.excused.has(objectOf(line)),
      )
      problems.push(...back)
      downgradeMatches = back.length === 0
    } catch (error) {
      problems.push(`the downgrade failed: ${failure(error)}`)
    }
    return { upgradeMatches: after.length === 0, downgradeMatches, problems }
  })
}

/** A scratch run's error without what the runner says of the database it ran on (the scratch one, dropped). */
function failure(error: unknown): string {
  return (error as Error).message
    .split('\n')
    .filter((line) => !/^(rolled back|next):/.test(line))
    .join('\n    ')
}

/** "enum mood: ..." → "enum mood": the object a TODO or a difference is about. */
function objectOf(line: string): string {
  return line.slice(0, line.indexOf(':'))
}
