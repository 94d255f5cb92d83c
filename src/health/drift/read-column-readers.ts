import type { CatalogQuery, CatalogSnapshot } from './catalog-snapshot.js'

/**
 * Which columns each view and each stored generated column reads, from pg_depend: what
 * a generated change script must take down and put back around a column it retypes or
 * drops (PostgreSQL refuses "cannot alter type of a column used by a view or rule");
 * and which relations a routine needs to exist before it can be made.
 */
export async function readColumnReaders({
  rows,
  keep,
  relationFilter,
}: CatalogQuery): Promise<Pick<CatalogSnapshot, 'columnReaders'>> {
  const columnReaders = new Map<string, Set<string>>()
  for (const row of await rows<{ schema: string; reader: string; column: string; read: string }>(
    // A view's rule depends on each column it reads, of tables and of other views, and
    // on a relation as a whole where it names no column (count(*)).
    `SELECT n.nspname AS schema, c.relname AS reader, NULL AS column,
            rn.nspname || '.' || rc.relname || '.' || coalesce(a.attname, '*') AS read
       FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                       AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class rc ON rc.oid = d.refobjid AND rc.oid <> c.oid
       JOIN pg_namespace rn ON rn.oid = rc.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = rc.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
      WHERE c.relkind IN ('v', 'm') AND ${relationFilter}
     UNION
     -- A stored generated column's expression (its pg_attrdef row) depends on the columns it reads.
     SELECT n.nspname, c.relname, g.attname, n.nspname || '.' || c.relname || '.' || a.attname
       FROM pg_attrdef ad JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute g ON g.attrelid = c.oid AND g.attnum = ad.adnum AND g.attgenerated <> ''
       JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid <> ad.adnum
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
      WHERE ${relationFilter}
     UNION
     -- Earlier releases record it on the generated column itself (an automatic dependency).
     SELECT n.nspname, c.relname, g.attname, n.nspname || '.' || c.relname || '.' || a.attname
       FROM pg_depend d JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute g ON g.attrelid = c.oid AND g.attnum = d.objsubid AND g.attgenerated <> ''
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid AND a.attnum <> g.attnum
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = d.objid AND d.objsubid > 0 AND ${relationFilter}
     UNION
     -- An index depends on each column it keys or reads (expressions, predicate).
     SELECT n.nspname, i.relname, NULL, n.nspname || '.' || c.relname || '.' || a.attname
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid > 0
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
      WHERE ${relationFilter}
     UNION
     -- A routine whose arguments or result are a relation's row type, or whose body
     -- (BEGIN ATOMIC) reads a relation: that relation as a whole.
     SELECT n.nspname, format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)), NULL,
            rn.nspname || '.' || rc.relname || '.*'
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
       JOIN pg_class rc ON (d.refclassid = 'pg_class'::regclass AND rc.oid = d.refobjid)
                        OR (d.refclassid = 'pg_type'::regclass AND rc.reltype = d.refobjid)
       JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE n.nspname = ANY($1)
     UNION
     -- ... or a domain or enum it takes or returns, the same way.
     SELECT n.nspname, format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)), NULL,
            tn.nspname || '.' || t.typname || '.*'
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_type'::regclass
       JOIN pg_type t ON t.oid = d.refobjid AND t.typtype IN ('d', 'e')
       JOIN pg_namespace tn ON tn.oid = t.typnamespace
      WHERE n.nspname = ANY($1)
      ORDER BY 1, 2, 3, 4`,
  )) {
    if (!keep(row.schema, row.reader)) continue
    const reader = `${row.schema}.${row.reader}${row.column === null ? '' : `.${row.column}`}`
    const read = columnReaders.get(reader) ?? new Set<string>()
    read.add(row.read)
    columnReaders.set(reader, read)
  }
  return { columnReaders }
}
