import type pg from 'pg'
import { MIGRATION_TOOL_TABLES } from '../../adopt/migration-tool-tables.js'
import type { ResolvedConfig } from '../../config/types.js'
import { withConnection } from '../../db/connect.js'
import { type ConnectionSpec, parseConnectionString } from '../../db/connection-spec.js'
import { ScratchDatabaseError, withScratchDatabase } from '../../db/scratch-database.js'
import type { MigrationSet } from '../../graph/load-migrations.js'
import { upgradeToRevisions } from '../../runner/migrate.js'
import { runnerTables } from '../../runner/tables.js'
import { plural } from '../../util/plural.js'
import { wildcardPattern } from '../../util/wildcard.js'
import type { CheckOutcome } from '../check-result.js'
import { migratedSchemas, withoutSeparatelyMigrated } from '../managed-schemas.js'
import { strataTables } from '../strata-tables.js'
import { type CatalogSnapshot, objectCount, readCatalog, type TableFilter } from './catalog-snapshot.js'
import { compareCatalogs } from './compare-catalogs.js'

/** The drift check's verdict, and the indexes it found missing (for the index check). */
export interface DriftOutcome {
  readonly outcome: CheckOutcome
  /** Undefined when no comparison could be made. */
  readonly missingIndexes: readonly string[] | undefined
}

export interface DriftOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly args?: Readonly<Record<string, string>>
  /** The version table's rows: the scratch database is built to exactly these. */
  readonly rows: readonly string[]
  readonly schemas: readonly string[]
}

/**
 * "Data types consistent": builds a scratch database from the migrations at the live
 * database's revision, and compares the two catalogs object by object. A hand-made
 * change (a column retyped in psql, an index dropped, a default edited) shows up as
 * one line naming both sides.
 */
export async function checkSchemaDrift(client: pg.ClientBase, options: DriftOptions): Promise<DriftOutcome> {
  const unknown = options.rows.filter((row) => !options.migrations.graph.has(row))
  if (unknown.length > 0) {
    return skipped(
      `the version table names ${unknown.join(', ')}, which no migration file defines; cannot rebuild that revision`,
    )
  }
  const keep = tableFilter(options.config)
  const { schemas, separate } = await withoutSeparatelyMigrated(
    client,
    options.schemas,
    runnerTables(options.config).version,
  )
  let expected: CatalogSnapshot
  try {
    // On the checked server (same version, same extensions), or on health.scratchUrl
    // when the checked role may not create databases.
    const { scratchUrl } = options.config.health
    const server = scratchUrl === undefined ? options.spec : parseConnectionString(scratchUrl)
    expected = await withScratchDatabase(
      server,
      `strata_verify_${options.spec.database}`,
      async (scratch) => {
        await upgradeToRevisions(
          { config: options.config, spec: scratch, migrations: options.migrations, args: options.args ?? {} },
          options.rows,
        )
        return withConnection(scratch, (connection) => readCatalog(connection.client, schemas, keep))
      },
    )
  } catch (error) {
    if (error instanceof ScratchDatabaseError)
      return skipped(
        error.noCreatedb
          ? `${error.message}, so the migrations could not be replayed for comparison (${error.hint}, or set health.scratchUrl to a server where Strata may create one)`
          : error.message,
      )
    return skipped(
      `replaying the migrations into a scratch database failed: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  const live = await readCatalog(client, schemas, keep)
  const drift = compareCatalogs(live, expected)
  const at = options.rows.length === 0 ? 'base' : options.rows.join(', ')
  const objects = objectCount(live)
  // Missing indexes are reported by the index check ("All indexes present"), not twice.
  const found = drift.differences.length
  if (found === 0) {
    return {
      outcome: {
        status: 'ok',
        summary: `schema matches the migrations at ${at} (${plural(objects, 'object')} compared${drift.missingIndexes.length > 0 ? '; missing indexes under "All indexes present"' : ''}${leftOut(separate, options.config)})`,
      },
      missingIndexes: drift.missingIndexes,
    }
  }
  return {
    outcome: {
      status: 'fail',
      summary: `${plural(found, 'difference')} from the migrations at ${at}${separate.length > 0 ? ` (${leftOut(separate, options.config).slice(2)})` : ''}`,
      details: [
        ...drift.differences,
        // The two ways out: codify the change, or undo it.
        'to keep these changes, `strata revision -m "..." --autogenerate` writes them as a migration and stamps this database; to undo them, change the database back to what the migrations make',
      ],
    },
    missingIndexes: drift.missingIndexes,
  }
}

/** "; tenant_a, tenant_b left out: each has its own alembic_version" */
function leftOut(separate: readonly string[], config: ResolvedConfig): string {
  if (separate.length === 0) return ''
  const shown =
    separate.length > 5
      ? `${separate.slice(0, 5).join(', ')} and ${separate.length - 5} more`
      : separate.join(', ')
  return `; ${plural(separate.length, 'schema')} with ${separate.length === 1 ? 'its' : 'their'} own ${config.migrations.versionTable} left out (${shown}): strata tenants verify --schemas checks them`
}

function skipped(reason: string): DriftOutcome {
  return { outcome: { status: 'warn', summary: `not compared: ${reason}` }, missingIndexes: undefined }
}

/**
 * The catalog of the schemas a database's migrations manage (`health.schemas`), as the
 * drift check reads it: for comparing one database with itself before and after.
 */
export function readManagedCatalog(config: ResolvedConfig, spec: ConnectionSpec): Promise<CatalogSnapshot> {
  return withConnection(spec, async (connection) => {
    const schemas = await migratedSchemas(connection.client, config)
    return readCatalog(connection.client, schemas, tableFilter(config))
  })
}

/**
 * Leaves out Strata's version and history tables, the bookkeeping tables of other
 * migration tools (a database adopted from node-pg-migrate keeps its `pgmigrations`
 * for a while: no migration creates it, and it is not drift), and `health.ignoreTables`.
 */
export function tableFilter(config: ResolvedConfig): TableFilter {
  const own = strataTables(config)
  const patterns = config.health.ignoreTables.map((pattern) => {
    const regex = wildcardPattern(pattern)
    return pattern.includes('.')
      ? (schema: string, table: string) => regex.test(`${schema}.${table}`)
      : (_: string, table: string) => regex.test(table)
  })
  return (schema, table) =>
    !own.has(`${schema}.${table}`) &&
    !Object.hasOwn(MIGRATION_TOOL_TABLES, table) &&
    !patterns.some((matches) => matches(schema, table))
}
