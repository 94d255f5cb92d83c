import { tableKey } from '../analysis/schema-model.js'
import { schemaChanges } from '../autogenerate/schema-changes.js'
import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { type CatalogSnapshot, isNotNullConstraint, objectCount } from '../health/drift/catalog-snapshot.js'
import { everyDifference } from '../health/drift/compare-catalogs.js'
import { readManagedCatalog } from '../health/drift/schema-drift.js'
import { type DestroyedData, dataDestroyedBy } from './destroyed-data.js'

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
  /** The objects of the first that were compared (`objectCount`). */
  readonly objects: number
  /** The SQL that makes the first database's schema like the other's, for a person to review. */
  readonly sql: {
    /** Before `statements`, each committed on its own: enum values added. */
    readonly enumValues: readonly string[]
    readonly statements: readonly string[]
    /** After `statements`, outside a transaction, one at a time: CONCURRENTLY builds, validations. */
    readonly online: readonly string[]
    /** After `online`, in a transaction: keys added `USING INDEX` an online build made. */
    readonly afterOnline: readonly string[]
    readonly byHand: readonly string[]
    /** Tables and columns with rows that the statements destroy in the first database. */
    readonly destroys: readonly DestroyedData[]
  }
}

/**
 * Compares the schemas of two databases object by object, as the drift check compares
 * a database with its migrations: is staging what production will become, is every
 * tenant alike, did a restore bring everything back. Reads only.
 */
export async function compareDatabases(options: DatabaseDiffOptions): Promise<DatabaseDiff> {
  // Each read with its own managed schemas: a schema only one has shows as its objects.
  const mine = withoutNotNullConstraints(await readManagedCatalog(options.config, options.spec))
  const theirs = withoutNotNullConstraints(await readManagedCatalog(options.config, options.other))
  const schemas = [...new Set([...mine.schemas, ...theirs.schemas])].sort()
  const { spec: a, other: b } = options.names
  const differences = everyDifference(mine, theirs, {
    live: `in ${a}`,
    expected: `in ${b}`,
    missing: `in ${b}, not in ${a}`,
    extra: `in ${a}, not in ${b}`,
  })
  // Production's forms, as autogenerate writes them: the database changed may be in use.
  const changes = schemaChanges(mine, theirs, { online: true, leaveIndexes: new Set() })
  // A generated column dropped and added again around a retyped column loses nothing.
  const regenerated = new Set(changes.regenerated.map(tableKey))
  return {
    differences,
    schemas,
    objects: objectCount(mine),
    sql: {
      enumValues: changes.enumValues,
      statements: changes.statements,
      online: changes.online,
      afterOnline: changes.afterOnline,
      byHand: changes.byHand,
      destroys: (await dataDestroyedBy(changes.statements, options.config, options.spec)).filter(
        (data) => !regenerated.has(tableKey(`${data.table}.${data.column}`)),
      ),
    },
  }
}

/** Compared across majors, every NOT NULL column would differ by its PostgreSQL 18 constraint. */
function withoutNotNullConstraints(snapshot: CatalogSnapshot): CatalogSnapshot {
  const constraints = new Map(
    [...snapshot.constraints].filter(([, definition]) => !isNotNullConstraint(definition)),
  )
  return { ...snapshot, constraints }
}
