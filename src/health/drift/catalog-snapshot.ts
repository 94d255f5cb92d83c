import type pg from 'pg'
import { NOT_EXTENSION_MEMBER, SEQUENCE_OWNER_JOIN } from '../../db/catalog-filters.js'

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
  /** `schema.index` → `{ table, definition }`. */
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

/** Which objects to leave out: Strata's own tables and `health.ignoreTables`. */
export type TableFilter = (schema: string, table: string) => boolean

/** Reads the catalog of the managed schemas. */
export async function readCatalog(
  client: pg.ClientBase,
  schemas: readonly string[],
  keep: TableFilter,
): Promise<CatalogSnapshot> {
  const rows = async <R extends pg.QueryResultRow>(sql: string) =>
    (await client.query<R>(sql, [schemas])).rows
  const relationFilter = `n.nspname = ANY($1) AND ${NOT_EXTENSION_MEMBER}`

  const schemaNames = new Set(
    (await rows<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1)')).map(
      (row) => row.name,
    ),
  )
  const tables = new Map<string, string>()
  const views = new Map<string, string>()
  const partitionKeys = new Map<string, string>()
  const partitions = new Map<string, { parent: string; bound: string }>()
  for (const row of await rows<{
    schema: string
    name: string
    kind: string
    view: string | null
    key: string | null
    parent: string | null
    bound: string | null
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS key,
            CASE WHEN c.relispartition THEN (SELECT pn.nspname || '.' || p.relname FROM pg_inherits h
                   JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                  WHERE h.inhrelid = c.oid) END AS parent,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${relationFilter}
      ORDER BY c.oid`,
  )) {
    if (!keep(row.schema, row.name)) continue
    const key = `${row.schema}.${row.name}`
    tables.set(key, row.kind)
    if (row.view !== null) views.set(key, row.view.trim())
    if (row.key !== null) partitionKeys.set(key, row.key)
    if (row.parent !== null && row.bound !== null)
      partitions.set(key, { parent: row.parent, bound: row.bound })
  }

  const columns = new Map<string, ColumnFacts>()
  for (const row of await rows<ColumnFacts & { schema: string; table: string; column: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
            pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity,
            a.attgenerated::text AS generated,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END AS collation
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${relationFilter}
      ORDER BY n.nspname, c.relname, a.attnum`,
  )) {
    if (!keep(row.schema, row.table)) continue
    const { schema, table, column, ...facts } = row
    columns.set(`${schema}.${table}.${column}`, facts)
  }

  const indexes = new Map<string, { table: string; definition: string }>()
  const inheritedIndexes = new Set<string>()
  for (const row of await rows<{
    schema: string
    name: string
    table: string
    definition: string
    inherited: boolean
  }>(
    `SELECT n.nspname AS schema, i.relname AS name, t.relname AS table, pg_get_indexdef(i.oid) AS definition,
            EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.oid) AS inherited
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE n.nspname = ANY($1)
      ORDER BY 1, 2`,
  )) {
    if (!keep(row.schema, row.table)) continue
    indexes.set(`${row.schema}.${row.name}`, { table: row.table, definition: row.definition })
    if (row.inherited) inheritedIndexes.add(`${row.schema}.${row.name}`)
  }

  const constraints = new Map<string, string>()
  const inheritedConstraints = new Set<string>()
  for (const row of await rows<{
    schema: string
    table: string
    name: string
    definition: string
    inherited: boolean
  }>(
    `SELECT n.nspname AS schema, c.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition,
            con.conparentid <> 0 AS inherited
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1)
      ORDER BY 1, 2, 3`,
  )) {
    if (!keep(row.schema, row.table)) continue
    constraints.set(`${row.schema}.${row.table}.${row.name}`, row.definition)
    if (row.inherited) inheritedConstraints.add(`${row.schema}.${row.table}.${row.name}`)
  }

  // A serial or identity column's sequence belongs to its table: left out with it
  // (Strata's history table has one, and exists whether or not a migration ran).
  const sequences = new Map<string, string>()
  const sequenceOwners = new Map<string, { column: string; identity: boolean }>()
  for (const row of await rows<{
    schema: string
    name: string
    text: string
    owner_schema: string | null
    owner_table: string | null
    owner_column: string | null
    identity: boolean
  }>(
    `SELECT s.schemaname AS schema, s.sequencename AS name,
            format('%s, start %s, increment %s, min %s, max %s, %s', s.data_type, s.start_value, s.increment_by,
                   s.min_value, s.max_value, CASE WHEN s.cycle THEN 'cycle' ELSE 'no cycle' END) AS text,
            owner_ns.nspname AS owner_schema, owner.relname AS owner_table, owner_column.attname AS owner_column,
            coalesce(d.deptype = 'i', false) AS identity
       FROM pg_sequences s
       ${SEQUENCE_OWNER_JOIN}
       LEFT JOIN pg_class owner ON owner.oid = d.refobjid
       LEFT JOIN pg_namespace owner_ns ON owner_ns.oid = owner.relnamespace
       LEFT JOIN pg_attribute owner_column ON owner_column.attrelid = d.refobjid AND owner_column.attnum = d.refobjsubid
      WHERE s.schemaname = ANY($1)
      ORDER BY 1, 2`,
  )) {
    if (row.owner_table !== null && !keep(row.owner_schema!, row.owner_table)) continue
    sequences.set(`${row.schema}.${row.name}`, row.text)
    if (row.owner_column !== null)
      sequenceOwners.set(`${row.schema}.${row.name}`, {
        column: `${row.owner_schema}.${row.owner_table}.${row.owner_column}`,
        identity: row.identity,
      })
  }

  const enums = new Map<string, readonly string[]>()
  for (const row of await rows<{ schema: string; name: string; labels: string[] }>(
    `SELECT n.nspname AS schema, t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      GROUP BY 1, 2
      ORDER BY 1, 2`,
  )) {
    enums.set(`${row.schema}.${row.name}`, row.labels)
  }

  // Domains and composite types (not a table's row type), in creation order: a domain
  // may be over another, a composite may hold a domain.
  const types = new Map<string, TypeFacts>()
  for (const row of await rows<{ schema: string; name: string; kind: 'd' | 'c'; definition: string }>(
    `SELECT n.nspname AS schema, t.typname AS name, t.typtype::text AS kind,
            CASE t.typtype
              WHEN 'd' THEN concat_ws(' ', 'AS ' || format_type(t.typbasetype, t.typtypmod),
                     CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN 'COLLATE ' || quote_ident(co.collname) END,
                     'DEFAULT ' || t.typdefault, CASE WHEN t.typnotnull THEN 'NOT NULL' END,
                     (SELECT string_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname)
                        FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'))
              ELSE 'AS (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                 FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')'
            END AS definition
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
       LEFT JOIN pg_collation co ON co.oid = t.typcollation
       LEFT JOIN pg_class r ON r.oid = t.typrelid
      WHERE n.nspname = ANY($1) AND (t.typtype = 'd' OR (t.typtype = 'c' AND r.relkind = 'c'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      ORDER BY t.oid`,
  )) {
    types.set(`${row.schema}.${row.name}`, {
      kind: row.kind === 'd' ? 'domain' : 'composite',
      definition: row.definition,
    })
  }

  const routines = new Map<string, RoutineFacts>()
  for (const row of await rows<{ schema: string; signature: string; kind: 'f' | 'p'; definition: string }>(
    `SELECT n.nspname AS schema, format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS signature,
            p.prokind::text AS kind, pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY p.oid`,
  )) {
    routines.set(`${row.schema}.${row.signature}`, {
      kind: row.kind === 'p' ? 'procedure' : 'function',
      definition: row.definition.trim(),
    })
  }

  // A partition's copy of its parent's trigger is the parent's (tgparentid, PostgreSQL
  // 13+; 12 marks such copies internal).
  const serverVersion = Number(
    (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v,
  )
  const notCloned = serverVersion >= 130000 ? 'AND tg.tgparentid = 0' : ''
  const triggers = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; name: string; definition: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, tg.tgname AS name, pg_get_triggerdef(tg.oid) AS definition
       FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND NOT tg.tgisinternal ${notCloned}
      ORDER BY 1, 2, 3`,
  )) {
    if (keep(row.schema, row.table)) triggers.set(`${row.schema}.${row.table}.${row.name}`, row.definition)
  }

  const policies = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; name: string; definition: string }>(
    `SELECT schemaname AS schema, tablename AS table, policyname AS name,
            concat_ws(' ', CASE WHEN permissive = 'RESTRICTIVE' THEN 'AS RESTRICTIVE' END, 'FOR ' || cmd,
                      'TO ' || array_to_string(roles, ', '), 'USING (' || qual || ')',
                      'WITH CHECK (' || with_check || ')') AS definition
       FROM pg_policies WHERE schemaname = ANY($1)
      ORDER BY 1, 2, 3`,
  )) {
    if (keep(row.schema, row.table)) policies.set(`${row.schema}.${row.table}.${row.name}`, row.definition)
  }

  const rowSecurity = new Map<string, string>()
  for (const row of await rows<{ schema: string; name: string; forced: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relrowsecurity AND ${relationFilter}`,
  )) {
    if (keep(row.schema, row.name))
      rowSecurity.set(`${row.schema}.${row.name}`, row.forced ? 'enabled and forced' : 'enabled')
  }

  const tableComments = new Map<string, string>()
  const columnComments = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; column: string | null; comment: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, d.description AS comment
       FROM pg_description d
       JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${relationFilter}
      ORDER BY 1, 2, d.objsubid`,
  )) {
    if (!keep(row.schema, row.table)) continue
    if (row.column === null) tableComments.set(`${row.schema}.${row.table}`, row.comment)
    else columnComments.set(`${row.schema}.${row.table}.${row.column}`, row.comment)
  }

  const extensions = new Map<string, string>()
  for (const row of (
    await client.query<{ name: string; schema: string }>(
      `SELECT e.extname AS name, n.nspname AS schema FROM pg_extension e
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid`,
    )
  ).rows)
    extensions.set(row.name, row.schema)

  return {
    schemas: schemaNames,
    tables,
    partitionKeys,
    partitions,
    inheritedIndexes,
    inheritedConstraints,
    columns,
    indexes,
    constraints,
    sequences,
    sequenceOwners,
    enums,
    types,
    views,
    routines,
    triggers,
    policies,
    rowSecurity,
    tableComments,
    columnComments,
    extensions,
  }
}
