import { GUARD_MARKER } from '../../analysis/statement-effects.js'
import { quoteIdent, quoteLiteral } from '../../db/quote.js'
import { OperationFailedError } from '../../errors/index.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, type RelationName, relation } from '../sql-fragments.js'
import type { CarriedViews } from './carried-views.js'

// What is bound to a column, not to its name: PostgreSQL keeps a constraint, an index, a
// view's reference, a generated column's or a policy's expression on the column itself.
// `changeColumnType` swaps names; whatever stays bound goes with the old values to
// `<column>_strata_old`: a view would show the old values (none for new rows), a policy
// would check them, the new column would have no index. Plain indexes and views are
// carried over; the rest is refused before anything changes.

/** Something bound to the column. */
export interface ColumnDependent {
  /** `index`, `primary key`, `view`, `foreign key`, ... */
  readonly kind: string
  /** Its name as the catalog gives it (`orders_user_id_idx`, `orders_pkey`, `public.active_orders`). */
  readonly name: string
  /** A plain index's (keys are columns, no predicate): built again on the new column. */
  readonly definition: string | undefined
}

export async function columnDependents(
  op: MigrationOp,
  table: RelationName,
  column: string,
): Promise<ColumnDependent[]> {
  return op.query<{ kind: string; name: string; definition: string | undefined }>(
    DEPENDENTS_SQL,
    [relation(table), column],
    MANAGED,
  )
}

/**
 * For a script rendered offline, which cannot read the catalog: a statement that stops
 * the script where the column has anything bound to it (it would stay with the old
 * values, and this script carries nothing over).
 */
export function offlineDependentsGuard(table: RelationName, column: string): string {
  // One pass: a literal put in for $1 must not have a "$2" in it replaced in turn.
  const literals: Record<string, string> = { $1: quoteLiteral(relation(table)), $2: quoteLiteral(column) }
  const query = DEPENDENTS_SQL.replace(/\$[12]\b/g, (parameter) => literals[parameter]!)
  const message = `changeColumnType('${baseName(table)}', '${column}'): ${baseName(table)}.${column} has %, bound to the column, not to its name: this script cannot carry it over to the new column. Run the migration with strata upgrade, which carries plain indexes, views and the column's NOT NULL, default, comment and grants, and refuses the rest`
  return `DO ${GUARD_MARKER}
DECLARE bound text;
BEGIN
  SELECT string_agg(kind || ' ' || name, ', ') INTO bound FROM (${query}) AS dependents;
  IF bound IS NOT NULL THEN
    RAISE EXCEPTION ${quoteLiteral(message)}, bound;
  END IF;
END
${GUARD_MARKER}`
}

const DEPENDENTS_SQL = `WITH col AS (
       SELECT a.attrelid AS rel, a.attnum, a.attidentity, a.attgenerated, a.attacl, a.attnotnull FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped)
     SELECT kind, name, definition FROM (
       -- Kept on the column itself: carried online (carried-column-attributes.ts), refused
       -- by the offline guard, which cannot read them to carry them.
       SELECT CASE WHEN col.attgenerated <> '' THEN 'generated column expression' ELSE 'default' END AS kind,
              pg_get_expr(ad.adbin, ad.adrelid) AS name, NULL::text AS definition
         FROM pg_attrdef ad, col WHERE ad.adrelid = col.rel AND ad.adnum = col.attnum
       UNION ALL
       SELECT 'identity', 'sequence', NULL FROM col WHERE col.attidentity <> ''
       UNION ALL
       SELECT 'NOT NULL', 'constraint', NULL FROM col WHERE col.attnotnull AND col.attidentity = ''
       UNION ALL
       SELECT 'comment', 'on the column', NULL FROM col WHERE col_description(col.rel, col.attnum) IS NOT NULL
       UNION ALL
       SELECT 'column grants', 'to ' || string_agg(DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END, ', '), NULL
         FROM col, aclexplode(col.attacl) x HAVING count(*) > 0
       UNION ALL
       SELECT CASE con.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique constraint'
                WHEN 'x' THEN 'exclusion constraint' WHEN 'f' THEN 'foreign key' ELSE 'check constraint' END,
              con.conname::text, NULL
         FROM pg_constraint con, col
        WHERE con.conrelid = col.rel AND col.attnum = ANY (con.conkey) AND con.contype IN ('p', 'u', 'x', 'f', 'c')
       UNION ALL
       SELECT 'foreign key', format('%s of %s', con.conname, con.conrelid::regclass), NULL
         FROM pg_constraint con, col
        WHERE con.contype = 'f' AND con.confrelid = col.rel AND col.attnum = ANY (con.confkey)
       UNION ALL
       -- A partitioned table's index cannot be built CONCURRENTLY: not carried.
       SELECT CASE WHEN i.relkind = 'I' THEN 'index of a partitioned table'
                WHEN x.indexprs IS NULL AND x.indpred IS NULL THEN 'index' ELSE 'expression or partial index' END,
              i.relname::text,
              CASE WHEN x.indexprs IS NULL AND x.indpred IS NULL AND i.relkind = 'i' THEN pg_get_indexdef(i.oid) END
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid, col
        WHERE x.indrelid = col.rel
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = col.rel)
          AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = x.indexrelid
                         AND d.refobjid = col.rel AND d.refobjsubid = col.attnum)
       UNION ALL
       SELECT DISTINCT CASE v.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END, v.oid::regclass::text, NULL
         FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
         JOIN pg_class v ON v.oid = r.ev_class, col
        WHERE d.refobjid = col.rel AND d.refobjsubid = col.attnum AND v.oid <> col.rel
       UNION ALL
       SELECT 'generated column', g.attname::text, NULL
         FROM pg_attrdef ad JOIN pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum AND g.attgenerated <> ''
         JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid, col
        WHERE ad.adrelid = col.rel AND d.refobjid = col.rel AND d.refobjsubid = col.attnum AND ad.adnum <> col.attnum
       UNION ALL
       SELECT 'policy', p.polname::text, NULL
         FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND p.oid = d.objid, col
        WHERE d.refobjid = col.rel AND d.refobjsubid = col.attnum
       UNION ALL
       SELECT 'trigger', t.tgname::text, NULL
         FROM pg_depend d JOIN pg_trigger t ON d.classid = 'pg_trigger'::regclass AND t.oid = d.objid, col
        WHERE d.refobjid = col.rel AND d.refobjsubid = col.attnum AND NOT t.tgisinternal
     ) AS bound
     ORDER BY kind, name`

/**
 * Views are carried (carried-views.ts); the column's own default, comment, grants and
 * NOT NULL are carried and an identity or generated column refused with its own reason
 * (carried-column-attributes.ts).
 */
const CARRIED_OR_REFUSED_APART = new Set([
  'view',
  'default',
  'comment',
  'column grants',
  'identity',
  'generated column expression',
  'NOT NULL',
])

/**
 * Refuses, before the first step, a column with something bound to it that the swap
 * cannot carry: the migration fails with nothing changed, naming each. Plain indexes
 * and views are carried; what a view that reads the column cannot carry (a materialized
 * view, a view with triggers or rules of its own) is named.
 */
export function refuseUncarried(
  call: string,
  table: RelationName,
  column: string,
  dependents: readonly ColumnDependent[],
  views: CarriedViews,
): void {
  const named = dependents
    .filter((dependent) => !dependent.definition && !CARRIED_OR_REFUSED_APART.has(dependent.kind))
    .map((dependent) => `${dependent.kind} ${dependent.name}`)
  const uncarried = [...new Set([...named, ...views.refused])]
  if (uncarried.length === 0) return
  const them = uncarried.length === 1 ? 'it' : 'them'
  throw new OperationFailedError(
    `${call}('${baseName(table)}', '${column}'): ${baseName(table)}.${column} has ${uncarried.join(', ')}, bound to the column, not to its name: after the swap ${uncarried.length === 1 ? 'it' : 'they'} would stay on the old values (a policy would check them, the new ${column} would go without the key or constraint). Nothing was changed`,
    {
      hint: `take ${them} down before and make ${them} again on the new column after (a constraint: add it again NOT VALID, then VALIDATE; a materialized view: drop it, make it again WITH NO DATA, then REFRESH); a primary key or a column that foreign keys reference needs its own plan (a new key built beside it), or ALTER TABLE ... ALTER COLUMN ${quoteIdent(column)} TYPE ... in a window where the table may be locked while it is rewritten. Plain indexes and views are carried over`,
    },
  )
}
