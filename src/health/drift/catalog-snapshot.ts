import type pg from 'pg'
import { NOT_EXTENSION_MEMBER } from '../../db/catalog-filters.js'
import { readColumnReaders } from './read-column-readers.js'
import { readProgramObjects } from './read-program-objects.js'
import { readRelations } from './read-relations.js'

/** A column as the drift check compares it. */
export interface ColumnFacts {
  readonly type: string
  readonly notNull: boolean
  readonly default: string | null
  /** `a` ALWAYS, `d` BY DEFAULT, '' none. */
  readonly identity: string
  /** `s` for a stored generated column, '' otherwise. */
  readonly generated: string
  readonly collation: string | null
}

/**
 * The schema objects of one database, keyed by qualified name, as the drift check
 * compares them. Values are catalog renderings (`format_type`, `pg_get_indexdef`,
 * `pg_get_constraintdef`), so two databases built the same way render the same.
 */
export interface CatalogSnapshot {
  /** The schemas asked for that exist here (a generated migration creates those it lacks). */
  readonly schemas: ReadonlySet<string>
  /** `schema.table` → relkind. */
  readonly tables: ReadonlyMap<string, string>
  /** A partitioned table's key: `schema.table` → "RANGE (created_at)". */
  readonly partitionKeys: ReadonlyMap<string, string>
  /** A partition: `schema.table` → its parent (`schema.table`) and bound ("FOR VALUES FROM ... TO ..."). */
  readonly partitions: ReadonlyMap<string, { readonly parent: string; readonly bound: string }>
  /** Partitions' indexes attached to their parent's index (`schema.index`): made with it, not on their own. */
  readonly inheritedIndexes: ReadonlySet<string>
  /** Partitions' constraints cloned from their parent's (`schema.table.constraint`). */
  readonly inheritedConstraints: ReadonlySet<string>
  /** `schema.table.column` → facts. */
  readonly columns: ReadonlyMap<string, ColumnFacts>
  /** `schema.index` → its table (`schema.table`) and definition. */
  readonly indexes: ReadonlyMap<string, { table: string; definition: string }>
  /** `schema.table.constraint` → definition. */
  readonly constraints: ReadonlyMap<string, string>
  /** `schema.sequence` → "bigint, start 1, increment 1, min 1, max 9223372036854775807, no cycle". */
  readonly sequences: ReadonlyMap<string, string>
  /** `schema.sequence` → the column that owns it: a serial's (`OWNED BY`) or an identity's. */
  readonly sequenceOwners: ReadonlyMap<string, { readonly column: string; readonly identity: boolean }>
  /** `schema.type` → labels in order. */
  readonly enums: ReadonlyMap<string, readonly string[]>
  /** `schema.type` → a domain's or composite type's definition, as CREATE DOMAIN / CREATE TYPE take it after the name. */
  readonly types: ReadonlyMap<string, TypeFacts>
  /** `schema.view` → definition. */
  readonly views: ReadonlyMap<string, string>
  /**
   * A view or index (`schema.name`) or stored generated column (`schema.table.column`) → the
   * columns it reads (`schema.relation.column`, of tables and views; `schema.relation.*`
   * for a relation read as a whole, as `count(*)` reads it). A routine (its `routines`
   * key) → the relations (`schema.relation.*`) whose row type it takes or returns, or
   * that its BEGIN ATOMIC body reads, and the domains and enums (`schema.type.*`) it
   * takes or returns.
   */
  readonly columnReaders: ReadonlyMap<string, ReadonlySet<string>>
  /** `schema.name(argument types)` → kind and `pg_get_functiondef`, for functions and procedures. */
  readonly routines: ReadonlyMap<string, RoutineFacts>
  /** `schema.table.trigger` → `pg_get_triggerdef`, for the triggers a statement made (not constraint internals). */
  readonly triggers: ReadonlyMap<string, string>
  /** `schema.table.policy` → "FOR SELECT TO app USING (...)". */
  readonly policies: ReadonlyMap<string, string>
  /** `schema.table` → "enabled" or "enabled and forced", for tables with row-level security on. */
  readonly rowSecurity: ReadonlyMap<string, string>
  /** `schema.table` (views too) → its COMMENT. */
  readonly tableComments: ReadonlyMap<string, string>
  /** `schema.table.column` → its COMMENT. */
  readonly columnComments: ReadonlyMap<string, string>
  /**
   * Extension → the schema it is installed in, over the whole database (plpgsql left
   * out). Not compared by the drift check: a DBA installs them as often as a migration.
   */
  readonly extensions: ReadonlyMap<string, string>
}

/** A domain or composite type as the comparison sees it. */
export interface TypeFacts {
  readonly kind: 'domain' | 'composite'
  /** `AS integer NOT NULL CONSTRAINT positive CHECK (VALUE > 0)`, `AS (x integer, y integer)`. */
  readonly definition: string
}

/** A function or procedure as the comparison sees it. */
export interface RoutineFacts {
  readonly kind: 'function' | 'procedure'
  /** `CREATE OR REPLACE FUNCTION ...` as the server renders it: body, language, volatility, settings. */
  readonly definition: string
}

/** A relkind that is a table proper, plain or partitioned (not a view or foreign table). */
export function isTableKind(kind: string | undefined): boolean {
  return kind === 'r' || kind === 'p'
}

/**
 * PostgreSQL 18 keeps a NOT NULL as a named constraint too; older servers only as the
 * column's flag. The column's nullability says the same, so these are left to it.
 */
export function isNotNullConstraint(definition: string): boolean {
  return definition.startsWith('NOT NULL')
}

/** How many objects a comparison of this snapshot looks at, for "N objects compared". */
export function objectCount(snapshot: CatalogSnapshot): number {
  return (
    snapshot.tables.size +
    snapshot.indexes.size +
    snapshot.constraints.size +
    snapshot.sequences.size +
    snapshot.enums.size +
    snapshot.types.size +
    snapshot.routines.size +
    snapshot.triggers.size +
    snapshot.policies.size
  )
}

/** Which objects to leave out: Strata's own tables and `health.ignoreTables`. */
export type TableFilter = (schema: string, table: string) => boolean

/** How the readers query: each statement takes the managed schemas as `$1`. */
export interface CatalogQuery {
  readonly client: pg.ClientBase
  readonly rows: <R extends pg.QueryResultRow>(sql: string) => Promise<R[]>
  readonly keep: TableFilter
  /** The condition on `n` (pg_namespace) and `c` (pg_class) that keeps the application's relations. */
  readonly relationFilter: string
}

/** Reads the catalog of the managed schemas. */
export async function readCatalog(
  client: pg.ClientBase,
  schemas: readonly string[],
  keep: TableFilter,
): Promise<CatalogSnapshot> {
  const query: CatalogQuery = {
    client,
    rows: async <R extends pg.QueryResultRow>(sql: string) => (await client.query<R>(sql, [schemas])).rows,
    keep,
    relationFilter: `n.nspname = ANY($1) AND ${NOT_EXTENSION_MEMBER}`,
  }
  return {
    ...(await readRelations(query)),
    ...(await readColumnReaders(query)),
    ...(await readProgramObjects(query)),
  }
}
