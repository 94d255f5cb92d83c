import { quoteLiteral } from '../../db/quote.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { type RelationName, relation } from '../sql-fragments.js'

// A view reads a column by its number and a table by its oid, not by their names: after
// `changeColumnType` or `rebuildTable` swaps names, a view left alone would go on reading
// the old values (and none of the rows written since). The views that read the column
// or table, and the views that read those, are dropped in the swap's transaction and
// made again after it from their own definitions, with their options, owner, grants and
// comment: nothing outside the transaction ever finds them missing.

export const NO_VIEWS: CarriedViews = { names: [], create: [], refused: [] }

/** The views to carry, in the order to make them again (each after those it reads). */
export interface CarriedViews {
  readonly names: readonly string[]
  /** CREATE VIEW, then its owner, grants and comment, view by view. */
  readonly create: readonly string[]
  /** What cannot be carried: a materialized view, a view with triggers or rules of its own, or one another role owns. */
  readonly refused: readonly string[]
}

/** The views that read `column` of `table` (any of its columns when none is named), and those that read them. */
export async function viewsReading(
  op: MigrationOp,
  table: RelationName,
  column?: string,
): Promise<CarriedViews> {
  const rows = await op.query<{
    name: string
    kind: string
    definition: string
    options: string[] | null
    owner: string | null
    comment: string | null
    grants: string[]
    extras: boolean
    not_ours: boolean
  }>(
    `WITH RECURSIVE readers AS (
       SELECT DISTINCT r.ev_class AS oid, 1 AS depth
         FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
        WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass($1) AND r.ev_class <> d.refobjid
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND a.attname = $2))
       UNION
       SELECT r.ev_class, readers.depth + 1
         FROM readers
         JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = readers.oid
         JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
        WHERE r.ev_class <> readers.oid AND readers.depth < 32)
     SELECT v.oid::regclass::text AS name, v.relkind::text AS kind, pg_get_viewdef(v.oid, true) AS definition,
            v.reloptions::text[] AS options,
            CASE WHEN v.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
                 THEN quote_ident(pg_get_userbyid(v.relowner)) END AS owner,
            obj_description(v.oid, 'pg_class') AS comment,
            ARRAY(SELECT format('GRANT %s ON %s TO %s%s', a.privilege_type, v.oid::regclass,
                                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                    FROM aclexplode(v.relacl) a WHERE a.grantee <> v.relowner
                   ORDER BY 1) AS grants,
            EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = v.oid)
              OR EXISTS (SELECT 1 FROM pg_rewrite o WHERE o.ev_class = v.oid AND o.rulename <> '_RETURN') AS extras,
            NOT pg_has_role(current_user, v.relowner, 'MEMBER') AS not_ours
       FROM (SELECT oid, max(depth) AS depth FROM readers GROUP BY oid) AS found
       JOIN pg_class v ON v.oid = found.oid
      ORDER BY found.depth, 1`,
    [relation(table), column ?? null],
    MANAGED,
  )
  const refused = rows
    .filter((row) => row.kind !== 'v' || row.extras || row.not_ours)
    .map((row) =>
      row.kind !== 'v'
        ? `materialized view ${row.name}`
        : row.extras
          ? `view ${row.name} (it has triggers or rules of its own)`
          : `view ${row.name} (its owner ${row.owner}, whose views this role may not drop and make again)`,
    )
  const create = rows.flatMap((row) => [
    `CREATE VIEW ${row.name}${row.options === null ? '' : ` WITH (${row.options.join(', ')})`} AS\n${row.definition.trim().replace(/;$/, '')}`,
    ...(row.owner === null ? [] : [`ALTER VIEW ${row.name} OWNER TO ${row.owner}`]),
    ...row.grants,
    ...(row.comment === null ? [] : [`COMMENT ON VIEW ${row.name} IS ${quoteLiteral(row.comment)}`]),
  ])
  return { names: rows.map((row) => row.name), create, refused }
}

/** Drops the carried views (one statement: PostgreSQL orders those that read each other). */
export function dropViews(views: CarriedViews): string | undefined {
  return views.names.length === 0 ? undefined : `DROP VIEW ${views.names.join(', ')}`
}
