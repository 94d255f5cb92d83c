import { quoteIdent, quoteLiteral } from '../../db/quote.js'
import { hasSqlState, INSUFFICIENT_PRIVILEGE } from '../../db/sqlstate.js'
import { OperationFailedError } from '../../errors/index.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, type RawSql, type RelationName, relation, typeName } from '../sql-fragments.js'

// What PostgreSQL keeps on a column itself, beside its type: its default, NOT NULL, its
// comment, column-level grants, the sequence a serial column owns. `changeColumnType`
// swaps two columns' names, so each of these stays with the column it was set on unless
// it is moved: without its default, an insert that leaves the column out would put NULL
// in it (or fail on NOT NULL) the moment the swap commits.

export interface ColumnAttributes {
  /** The default as `pg_get_expr` writes it (`1`, `nextval('orders_n_seq'::regclass)`). */
  readonly default: string | undefined
  readonly identity: boolean
  /** A generated column's own expression (the column is computed, not written). */
  readonly generated: boolean
  readonly notNull: boolean
  readonly comment: string | undefined
  readonly grants: readonly ColumnGrant[]
  /** Sequences owned by the column (a serial's), qualified as regclass prints them. */
  readonly ownedSequences: readonly string[]
}

interface ColumnGrant {
  readonly privilege: string
  /** Quoted role name, or PUBLIC. */
  readonly grantee: string
  readonly grantable: boolean
}

/** The column's attributes; undefined when the table has no such column. */
export async function columnAttributes(
  op: MigrationOp,
  table: RelationName,
  column: string,
): Promise<ColumnAttributes | undefined> {
  const [row] = await op.query(ATTRIBUTES_SQL, [relation(table), column], MANAGED)
  if (row === undefined) return undefined
  return {
    ...(row as unknown as ColumnAttributes),
    default: (row.default as string | null) ?? undefined,
    comment: (row.comment as string | null) ?? undefined,
  }
}

const ATTRIBUTES_SQL = `SELECT pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity <> '' AS identity,
       a.attgenerated <> '' AS generated, a.attnotnull AS "notNull", col_description(a.attrelid, a.attnum) AS comment,
       COALESCE((SELECT json_agg(json_build_object('privilege', x.privilege_type, 'grantee',
                   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END,
                   'grantable', x.is_grantable) ORDER BY x.grantee, x.privilege_type)
                   FROM aclexplode(a.attacl) x), '[]') AS grants,
       ARRAY(SELECT s.oid::regclass::text FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
              WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
                AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'a'
              ORDER BY 1) AS "ownedSequences"
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated = ''
 WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`

/**
 * Refuses a column whose value PostgreSQL makes itself, before the first step: an
 * identity's sequence belongs to the column and cannot move to another, and a generated
 * column is computed, so a copy of another type would not be.
 */
export function refuseComputedColumn(
  call: string,
  table: RelationName,
  column: string,
  attributes: ColumnAttributes,
): void {
  if (!attributes.identity && !attributes.generated) return
  const what = attributes.identity ? 'an identity column' : 'a generated column'
  throw new OperationFailedError(
    `${call}('${baseName(table)}', '${column}'): ${baseName(table)}.${column} is ${what}, whose values PostgreSQL makes itself: a new column beside it cannot take that over. Nothing was changed`,
    {
      hint: attributes.identity
        ? `ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(column)} TYPE ... in a window where the table may be locked while it is rewritten (its sequence follows: ALTER SEQUENCE ... AS ...)`
        : `drop the generated column and add it again with the new type (op.rebuildTable builds the table beside it when it is large)`,
    },
  )
}

/** The default the new column gets: the one given (`null`: none), else the old column's. */
export function carriedDefault(
  given: RawSql | string | null | undefined,
  attributes: ColumnAttributes,
): string | undefined {
  if (given === null) return undefined
  if (given === undefined) return attributes.default
  return typeof given === 'string' ? given : given.text
}

/**
 * Refuses, before the first step, a default that a column of `type` would not take (as
 * ALTER COLUMN ... TYPE refuses one that cannot be cast automatically), tried on a
 * temporary table so that nothing of the migration's is locked or changed.
 */
export async function requireDefaultFits(
  op: MigrationOp,
  call: string,
  table: RelationName,
  column: string,
  type: string,
  expression: string,
): Promise<void> {
  const probe = 'pg_temp.strata_default_probe'
  try {
    await op.query(
      `CREATE TEMPORARY TABLE ${probe} (${quoteIdent(column)} ${typeName(type)} DEFAULT ${expression})`,
      [],
      MANAGED,
    )
  } catch (error) {
    // A role without TEMP on the database cannot probe: the swap's SET DEFAULT then says
    // it, rolling the swap back (the backfilled column stays for the re-run).
    if (hasSqlState(error, INSUFFICIENT_PRIVILEGE)) return
    throw new OperationFailedError(
      `${call}('${baseName(table)}', '${column}'): the column's default, ${expression}, does not fit ${type}: ${(error as Error).message}. Nothing was changed`,
      {
        hint: `give the default it should have as ${type}: { default: op.sql('...') }, or { default: null } for none`,
      },
    )
  }
  await op.query(`DROP TABLE ${probe}`, [], MANAGED)
}

/**
 * The statements, inside the swap's transaction, that give `column` (the new one, just
 * renamed) what the old column had: its default, its comment, its column grants and its
 * sequence; and take the default off the old one, which nothing writes any more.
 */
export function carriedAttributeStatements(
  table: RelationName,
  column: string,
  old: string,
  attributes: ColumnAttributes,
  newDefault: string | undefined,
): string[] {
  const target = `${relation(table)}.${quoteIdent(column)}`
  return [
    ...(attributes.default === undefined
      ? []
      : [`ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(old)} DROP DEFAULT`]),
    ...(newDefault === undefined
      ? []
      : [`ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${newDefault}`]),
    ...attributes.ownedSequences.map((sequence) => `ALTER SEQUENCE ${sequence} OWNED BY ${target}`),
    ...(attributes.comment === undefined
      ? []
      : [`COMMENT ON COLUMN ${target} IS ${quoteLiteral(attributes.comment)}`]),
    ...attributes.grants.map(
      (grant) =>
        `GRANT ${grant.privilege} (${quoteIdent(column)}) ON ${relation(table)} TO ${grant.grantee}${grant.grantable ? ' WITH GRANT OPTION' : ''}`,
    ),
  ]
}
