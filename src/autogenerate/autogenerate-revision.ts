import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import { type ConnectionSpec, parseConnectionString } from '../db/connection-spec.js'
import { ScratchDatabaseError, withScratchDatabase } from '../db/scratch-database.js'
import { readVersionRows, tableExists } from '../db/version-table.js'
import { InvalidInputError, MigrationFailedError } from '../errors/index.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import { readCatalog } from '../health/drift/catalog-snapshot.js'
import { type ComparedSides, everyDifference } from '../health/drift/compare-catalogs.js'
import { tableFilter } from '../health/drift/schema-drift.js'
import { migratedSchemas } from '../health/managed-schemas.js'
import { type MigrateOptions, upgradeToRevisions } from '../runner/migrate.js'
import { stamp } from '../runner/stamp.js'
import { runnerTables } from '../runner/tables.js'
import { sameRows } from '../runner/version-rows.js'
import { expandedSchema } from './expanded-schema.js'
import { objectOf, proveGeneratedMigrations, type ReplayProof } from './prove-migrations.js'
import { renameHints } from './rename-hints.js'
import { schemaChanges } from './schema-changes.js'
import {
  type GeneratedChanges,
  type GeneratedMigration,
  writeGeneratedMigrations,
} from './write-generated-migrations.js'

export type { ReplayProof } from './prove-migrations.js'

export interface AutogenerateOptions {
  readonly config: ResolvedConfig
  /** The database changed by hand (usually the development server). */
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly message: string
  readonly revId?: string | undefined
  readonly directory: string
  readonly args?: Readonly<Record<string, string>>
  /**
   * Called, and awaited, as each stage ends: the migrations replayed on a scratch database
   * to the database's revision, the files written, the files proven (the database is read
   * again next, and stamped only if it did not change meanwhile). For progress reporting.
   */
  readonly onStage?: (stage: AutogenerateStage) => void | Promise<void>
}

export type AutogenerateStage = 'replayed' | 'written' | 'proven'

export interface AutogenerateResult {
  /**
   * The migrations written, in order: the schema changes, then (when there are any) the
   * CONCURRENTLY builds and validations outside a transaction. Empty when the database
   * matches its migrations.
   */
  readonly created: readonly GeneratedMigration[]
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
    // Tenants' schemas (each with its own version table) are not this database's migrations'.
    const schemas = await migratedSchemas(connection.client, config)
    return { rows, schemas, live: await readCatalog(connection.client, schemas, keep) }
  })
  const atHead = sameRows(rows, heads)
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
    if (error instanceof MigrationFailedError) throw replayFailed(error, spec.database)
    if (!(error instanceof ScratchDatabaseError) || !error.noCreatedb) throw error
    throw new ScratchDatabaseError(error.message, true, {
      hint: `${error.hint}; or set health.scratchUrl to a server where Strata may create one (the migrations are replayed there to compare)`,
    })
  })
  await options.onStage?.('replayed')

  // Expand, then contract: what the previous release may still read (tables, columns,
  // views, functions, types) is dropped only by a contract migration; until then it
  // stays, its columns nullable. Production's forms for tables that hold rows; each
  // downgrade leaves the indexes built online to the online migration's own.
  const expanded = expandedSchema(built, live)
  const expand = schemaChanges(built, expanded, { online: true, leaveIndexes: new Set() })
  const changes: GeneratedChanges = {
    expand,
    expandDown: schemaChanges(expanded, built, {
      online: false,
      leaveIndexes: new Set(expand.builtOnline),
      leaveConstraints: new Set(expand.keysApart),
    }),
    contract: schemaChanges(expanded, live),
    contractDown: schemaChanges(live, expanded),
  }
  const { contract } = changes
  const byHand = [...expand.byHand, ...contract.byHand]
  const downgradeByHand = [...changes.expandDown.byHand, ...changes.contractDown.byHand]
  const result = {
    database: spec.database,
    from: rows,
    upgradeStatements:
      expand.enumValues.length +
      expand.statements.length +
      expand.online.length +
      expand.afterOnline.length +
      contract.statements.length,
    downgradeStatements:
      changes.expandDown.statements.length +
      expand.builtOnline.length +
      expand.keysApart.length +
      changes.contractDown.statements.length,
    byHand,
    downgradeByHand,
    renames: renameHints(built, live),
  }
  const nothing = result.upgradeStatements + byHand.length === 0
  if (nothing) return { ...result, created: [], proof: undefined, stamped: false }

  const created = await writeGeneratedMigrations(
    { config, migrations, message: options.message, revId: options.revId, directory: options.directory },
    changes,
    result.renames,
  )
  await options.onStage?.('written')
  if (byHand.length > 0) return { ...result, created, proof: undefined, stamped: false }

  // Loaded again: the set now holds the new files.
  const withNew = await loadMigrations(config)
  const head = created.at(-1)!
  const lastExpand = created.filter((file) => file.phase !== 'contract').at(-1)
  const proof = await proveGeneratedMigrations({
    server: scratchServer,
    database: spec.database,
    migrate: (scratch) => migrate(scratch, withNew),
    readScratch,
    rows,
    built,
    checkpoints: [
      ...(head.phase === 'contract' && lastExpand !== undefined
        ? [{ revision: lastExpand.revision, expected: expanded, sides: AFTER_EXPAND }]
        : []),
      { revision: head.revision, expected: live, sides: AFTER_UPGRADE },
    ],
    excused: new Set(downgradeByHand.map(objectOf)),
  })
  if (!proof.upgradeMatches || !proof.downgradeMatches) return { ...result, created, proof, stamped: false }
  await options.onStage?.('proven')
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
  await stamp({ config, spec, migrations: withNew }, [head.revision])
  return { ...result, created, proof, stamped: true }
}

const AFTER_UPGRADE: ComparedSides = {
  live: 'after the generated upgrade',
  expected: 'in the database',
  missing: 'in the database, not made by the generated upgrade',
  extra: 'made by the generated upgrade, not in the database',
}

const AFTER_EXPAND: ComparedSides = {
  live: 'after the expand migrations',
  expected: 'expected between the phases',
  missing: 'expected between the phases, not made by the expand migrations',
  extra: 'made by the expand migrations, not expected between the phases',
}

/**
 * A migration that fails on the scratch replay is said to have failed there: its own
 * report ("rolled back", "the version table still says") is the scratch database's, and
 * the database the person named was only read.
 */
function replayFailed(error: MigrationFailedError, database: string): MigrationFailedError {
  // What the runner says of the version table and what stayed is the scratch database's.
  const said = error.message
    .split('\n')
    .filter((line) => !/the version table still says/.test(line))
    .join('\n')
  return new MigrationFailedError(
    `replaying the migrations on a scratch database, to learn the schema they make, failed (${database} itself was only read; nothing written): ${said}`,
    error.revision,
    error.sqlState,
    {
      ...(error.where === undefined ? {} : { where: error.where }),
      hint: `${error.hint ?? 'fix the migration'}; the migrations must build the schema from an empty database (a table made by hand that a migration uses belongs in a migration before it)`,
      cause: error,
      retryable: error.retryable,
      invalidMigration: error.exitCode === 2,
    },
  )
}
