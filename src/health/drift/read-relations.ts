import { SEQUENCE_OWNER_JOIN } from '../../db/catalog-filters.js'
import type { CatalogQuery, CatalogSnapshot, ColumnFacts } from './catalog-snapshot.js'

/** The relations of a snapshot: schemas, tables and views, columns, indexes, constraints, sequences. */
export type RelationFacts = Pick<
  CatalogSnapshot,
  | 'schemas'
  | 'tables'
  | 'views'
  | 'partitionKeys'
  | 'partitions'
  | 'inheritedIndexes'
  | 'inheritedConstraints'
  | 'columns'
  | 'indexes'
  | 'constraints'
  | 'sequences'
  | 'sequenceOwners'
>

export async function readRelations({ rows, keep, relationFilter }: CatalogQuery): Promise<RelationFacts> {
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
    indexes.set(`${row.schema}.${row.name}`, {
      table: `${row.schema}.${row.table}`,
      definition: row.definition,
    })
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

  return {
    schemas: schemaNames,
    tables,
    views,
    partitionKeys,
    partitions,
    inheritedIndexes,
    inheritedConstraints,
    columns,
    indexes,
    constraints,
    sequences,
    sequenceOwners,
  }
}
