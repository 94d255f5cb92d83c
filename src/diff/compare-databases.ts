import { schemaChanges } from '../autogenerate/schema-changes.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { type CatalogSnapshot, readCatalog } from '../health/drift/catalog-snapshot.js'
import { everyDifference } from '../health/drift/compare-catalogs.js'
import { tableFilter } from '../health/drift/schema-drift.js'
import { managedSchemas } from '../health/managed-schemas.js'

export interface DatabaseDiffOptions {
  readonly config: ResolvedConfig
  /** The database compared (the selected one). */
  readonly spec: ConnectionSpec
  /** The one it is compared with (staging, a replica, another tenant). */
  readonly other: ConnectionSpec
  /** How each is named in the sentences: "staging", "prod". */
  readonly names: { readonly spec: string; readonly other: string }
}

export interface DatabaseDiff {
  /** One sentence per difference, naming both databases. */
  readonly differences: readonly string[]
  /** The schemas compared: the managed schemas of either database. */
  readonly schemas: readonly string[]
  /** Tables, indexes, constraints, sequences, types and functions of the first. */
  readonly objects: number
  /** The SQL that makes the first database's schema like the other's, for a person to review. */
  readonly sql: { readonly statements: readonly string[]; readonly byHand: readonly string[] }
}

/**
 * Compares the schemas of two databases object by object, as the drift check compares
 * a database with its migrations: is staging what production will become, is every
 * tenant alike, did a restore bring everything back. Reads only.
 */
export async function compareDatabases(options: DatabaseDiffOptions): Promise<DatabaseDiff> {
  const keep = tableFilter(options.config)
  const configured = options.config.health.schemas
  const schemasOf = (spec: ConnectionSpec) =>
    withConnection(spec, async (connection) => (await managedSchemas(connection.client, configured)).schemas)
  const schemas = [
    ...new Set([...(await schemasOf(options.spec)), ...(await schemasOf(options.other))]),
  ].sort()
  const read = (spec: ConnectionSpec): Promise<CatalogSnapshot> =>
    withConnection(spec, (connection) => readCatalog(connection.client, schemas, keep))
  const [mine, theirs] = [
    withoutNotNullConstraints(await read(options.spec)),
    withoutNotNullConstraints(await read(options.other)),
  ]
  const { spec: a, other: b } = options.names
  const differences = everyDifference(mine, theirs, {
    live: `in ${a}`,
    expected: `in ${b}`,
    missing: `in ${b}, not in ${a}`,
    extra: `in ${a}, not in ${b}`,
  })
  const changes = schemaChanges(mine, theirs)
  return {
    differences,
    schemas,
    objects:
      mine.tables.size +
      mine.indexes.size +
      mine.constraints.size +
      mine.sequences.size +
      mine.enums.size +
      mine.types.size +
      mine.routines.size,
    sql: { statements: changes.statements, byHand: changes.byHand },
  }
}

/**
 * PostgreSQL 18 keeps a NOT NULL as a named constraint, older servers as a column flag:
 * compared across majors every NOT NULL column would differ. The columns' nullability
 * says the same thing on both.
 */
function withoutNotNullConstraints(snapshot: CatalogSnapshot): CatalogSnapshot {
  const constraints = new Map(
    [...snapshot.constraints].filter(([, definition]) => !definition.startsWith('NOT NULL')),
  )
  return { ...snapshot, constraints }
}
