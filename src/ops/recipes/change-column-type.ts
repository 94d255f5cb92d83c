import { quoteIdent, sqlIdent } from '../../db/quote.js'
import { OperationFailedError } from '../../errors/index.js'
import { closestMatch } from '../../util/closest-match.js'
import { escapeRegex } from '../../util/wildcard.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { MANAGED } from '../sql-executor.js'
import {
  baseName,
  inSchemaOf,
  type RawSql,
  type RelationName,
  relation,
  splitName,
  sql,
  typeName,
} from '../sql-fragments.js'
import {
  carriedAttributeStatements,
  carriedDefault,
  columnAttributes,
  refuseComputedColumn,
  requireDefaultFits,
} from './carried-column-attributes.js'
import { sideName } from './carried-table-objects.js'
import { dropViews, NO_VIEWS, viewsReading } from './carried-views.js'
import {
  type ColumnDependent,
  columnDependents,
  offlineDependentsGuard,
  refuseUncarried,
} from './column-dependents.js'
import { recompileTriggerFunctions } from './trigger-functions.js'
import { proveNotNull } from './validated-constraint.js'

export interface ChangeColumnTypeOptions {
  /** The new value, as an expression over the row (default `"column"::newType`). */
  readonly using?: RawSql | string
  readonly batchSize?: number
  /**
   * Unique, NOT NULL columns the backfill pages by, for a table without a primary key
   * (a partitioned table's unique key includes its partition key: `['id', 'created_at']`).
   */
  readonly key?: readonly string[]
  /**
   * The column's default once it has the new type (`null`: none). Without it the old
   * default is carried over as PostgreSQL's ALTER COLUMN TYPE carries it (cast on
   * assignment); one that does not fit the new type is refused before the first step.
   */
  readonly default?: RawSql | string | null
}

const CHANGE_TYPE_KEYS = optionKeys<ChangeColumnTypeOptions>({
  using: true,
  batchSize: true,
  key: true,
  default: true,
})

/** Names the recipe uses; `<column>_strata_old` keeps the old values until a contract migration drops it. */
export function typeChangeNames(table: RelationName, column: string) {
  const { schema, name } = splitName(table)
  const prefix = schema ? `${quoteIdent(schema)}.` : ''
  return {
    shadow: `${column}_strata_new`.slice(0, 63),
    old: `${column}_strata_old`.slice(0, 63),
    // BEFORE triggers fire in the byte order of their names: "~" sorts after letters and
    // digits, so the application's own triggers have set the row before it is copied.
    trigger: `~strata_sync_${column}`.slice(0, 63),
    /** The name the sync trigger had before it was made to fire last (an interrupted run of then). */
    legacyTrigger: `strata_sync_${column}`.slice(0, 63),
    fn: `${prefix}${quoteIdent(`strata_sync_${name}_${column}`.slice(0, 63))}`,
  }
}

/**
 * Changes a column's type without rewriting the table under an exclusive lock (the
 * guide's Scenario 2, done safely):
 * 1. add `<column>_strata_new` of the new type;
 * 2. a trigger fills it on every insert and update, so writers keep both in step;
 * 3. existing rows are backfilled in batches;
 * 4. NOT NULL, if the column had it, is proven with a validated CHECK;
 * 5. one short transaction swaps the names: the column keeps its name with the new
 *    type, the old values stay in `<column>_strata_old` (NOT NULL dropped), for the
 *    downgrade and for a later contract migration to drop.
 * Plain indexes on the column are built again on the new one (CONCURRENTLY) before the
 * swap, and swap names with it; the old ones stay with the old values. Views that read
 * the column are dropped and made again in the swap's transaction, which also gives the
 * new column the old one's default, comment, column grants and owned sequence. Constraints,
 * materialized views, generated columns, policies and triggers bound to the column are
 * refused before the first step (they would stay with the old values), and so is an
 * identity or generated column. Downgrade: `op.revertColumnType`.
 */
export async function changeColumnType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  newType: string,
  options: ChangeColumnTypeOptions = {},
): Promise<void> {
  checkOptionKeys(`changeColumnType('${baseName(table)}', '${column}')`, options, CHANGE_TYPE_KEYS)
  // Its steps commit one by one (the swap in a short transaction of its own).
  await op.autocommit(() => changeType(op, table, column, newType, options))
}

async function changeType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  newType: string,
  options: ChangeColumnTypeOptions,
): Promise<void> {
  const names = typeChangeNames(table, column)
  const using = usingExpression(options, column, newType)
  if (!op.offline && (await typeAlreadySwapped(op, table, column, names, newType))) {
    op.context.runtime?.onNotice?.(
      `${baseName(table)}.${column} is ${newType} already, its old values in ${names.old}: an earlier run of this migration swapped it`,
    )
    return
  }
  // What is bound to the column, read before the first step: what cannot be carried
  // over to the new column is refused with nothing changed.
  if (op.offline) await op.execute(offlineDependentsGuard(table, column))
  else if ((await columnType(op, table, column)) === undefined) await refuseMissingColumn(op, table, column)
  // Already of that type (and never swapped): copying it into a column of the same type
  // would rewrite every row for nothing.
  else if (
    (await columnType(op, table, names.shadow)) === undefined &&
    (await hasType(op, table, column, newType))
  ) {
    op.context.runtime?.onNotice?.(`${baseName(table)}.${column} is ${newType} already: nothing to change`)
    return
  }
  const dependents = op.offline ? [] : await columnDependents(op, table, column)
  refuseUncarried(
    'changeColumnType',
    table,
    column,
    dependents,
    op.offline ? NO_VIEWS : await viewsReading(op, table, column),
  )
  const attributes = op.offline ? undefined : await columnAttributes(op, table, column)
  if (attributes !== undefined) refuseComputedColumn('changeColumnType', table, column, attributes)
  const newDefault = attributes === undefined ? undefined : carriedDefault(options.default, attributes)
  if (newDefault !== undefined)
    await requireDefaultFits(op, 'changeColumnType', table, column, newType, newDefault)
  // The key the backfill pages by, found before the first step: without one, nothing is changed.
  const key = options.key ?? (op.offline ? undefined : await op.primaryKeyOf(table))
  const notNull = attributes?.notNull === true
  await op.addColumn(table, { name: names.shadow, type: newType }, { ifNotExists: true })
  await syncTrigger(op, table, names, names.shadow, using)
  await op.backfill({
    table,
    set: { [names.shadow]: sql(using) },
    where: `${quoteIdent(names.shadow)} IS NULL AND ${quoteIdent(column)} IS NOT NULL`,
    batchSize: options.batchSize ?? 1000,
    name: `${baseName(table)}.${column}.type`,
    ...(key === undefined ? {} : { key }),
  })
  if (notNull)
    await proveNotNull(op, table, names.shadow, `${baseName(table)}_${names.shadow}_nn`.slice(0, 63))
  const indexes = dependents.filter((dependent) => dependent.definition)
  for (const index of indexes) await op.execute(indexOnShadow(index, column, names.shadow))
  await op.execute('BEGIN', [], MANAGED)
  await dropSyncTrigger(op, table, names)
  // Read again inside the swap's transaction: the views as they are at the swap.
  const views = op.offline ? NO_VIEWS : await viewsReading(op, table, column)
  const drop = dropViews(views)
  if (drop !== undefined) await op.execute(drop)
  // Read again too: a comment or grant given while the backfill ran goes with the rest.
  const atSwap = op.offline ? undefined : await columnAttributes(op, table, column)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(column)} TO ${quoteIdent(names.old)}`,
  )
  await op.execute(`ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(names.old)} DROP NOT NULL`)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(names.shadow)} TO ${quoteIdent(column)}`,
  )
  if (atSwap !== undefined)
    for (const statement of carriedAttributeStatements(table, column, names.old, atSwap, newDefault))
      await op.execute(statement)
  if (!op.offline)
    for (const statement of await recompileTriggerFunctions(op, table)) await op.execute(statement)
  // The indexes swap names too: the old ones stay with the old values, for the downgrade.
  for (const index of indexes) {
    await op.execute(
      `ALTER INDEX ${relation(inSchemaOf(table, index.name))} RENAME TO ${quoteIdent(sideName(index.name, 'old'))}`,
    )
    await op.execute(
      `ALTER INDEX ${relation(inSchemaOf(table, sideName(index.name, 'new')))} RENAME TO ${quoteIdent(index.name)}`,
    )
  }
  // The views, made again, read the new column.
  for (const statement of views.create) await op.execute(statement)
  await op.execute('COMMIT', [], MANAGED)
}

/**
 * The index built again on the shadow column, CONCURRENTLY: the definition the catalog
 * gives, with its name and the column's replaced (its keys are plain columns, it has no
 * predicate: the column's name appears only as a key or INCLUDE column).
 */
function indexOnShadow(index: ColumnDependent, column: string, shadow: string): string {
  // As pg_get_indexdef writes it: bare unless it needs quotes.
  const quoted = sqlIdent(column)
  const name = /^CREATE (UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) ON /
  const definition = index.definition!.replace(
    name,
    `CREATE $1INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(sideName(index.name, 'new'))} ON `,
  )
  const using = definition.indexOf(' USING ')
  const bare = !quoted.startsWith('"')
  const token = new RegExp(bare ? `(?<![\\w$"])${escapeRegex(quoted)}(?![\\w$"])` : escapeRegex(quoted), 'g')
  return `${definition.slice(0, using)}${definition.slice(using).replace(token, quoteIdent(shadow))}`
}

/**
 * The downgrade of `changeColumnType`: rows written since the swap are copied back
 * into `<column>_strata_old` with `using` (an expression over the row converting the
 * new value to the old type), then the names swap back and the new column goes.
 */
export async function revertColumnType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  oldType: string,
  options: ChangeColumnTypeOptions = {},
): Promise<void> {
  checkOptionKeys(`revertColumnType('${baseName(table)}', '${column}')`, options, CHANGE_TYPE_KEYS)
  await op.autocommit(() => revertType(op, table, column, oldType, options))
}

async function revertType(
  op: MigrationOp,
  table: RelationName,
  column: string,
  oldType: string,
  options: ChangeColumnTypeOptions,
): Promise<void> {
  const names = typeChangeNames(table, column)
  const using = usingExpression(options, column, oldType)
  // An earlier run of this downgrade swapped the names back and dropped the new column;
  // or a contract migration dropped the old values, and there is nothing to go back to.
  if (!op.offline && (await columnType(op, table, names.old)) === undefined) {
    if (!(await hasType(op, table, column, oldType)))
      throw new OperationFailedError(
        `revertColumnType('${baseName(table)}', '${column}'): ${baseName(table)}.${column} is not ${oldType}, and ${names.old}, which held the old values, is gone (a contract migration dropped it?): there is nothing to go back to. Nothing was changed`,
        {
          hint: `change the type back with op.changeColumnType('${baseName(table)}', '${column}', '${oldType}', { using: ... }) in this downgrade, or restore the old values from a backup`,
        },
      )
    op.context.runtime?.onNotice?.(
      `${baseName(table)}.${column} has no ${names.old} to go back to: an earlier run of this downgrade swapped it back already`,
    )
    return
  }
  // What a view reading the new column would leave behind is refused before the first step.
  if (!op.offline)
    refuseUncarried('revertColumnType', table, column, [], await viewsReading(op, table, column))
  // The new column's default, converted back, is the old one's again (the swap took it off).
  const current = op.offline ? undefined : await columnAttributes(op, table, column)
  const oldDefault = current === undefined ? undefined : carriedDefault(options.default, current)
  if (oldDefault !== undefined)
    await requireDefaultFits(op, 'revertColumnType', table, column, oldType, oldDefault)
  await syncTrigger(op, table, names, names.old, using)
  await op.backfill({
    table,
    set: { [names.old]: sql(using) },
    where: `${quoteIdent(names.old)} IS DISTINCT FROM (${using})`,
    batchSize: options.batchSize ?? 1000,
    name: `${baseName(table)}.${column}.type.revert`,
    ...(options.key === undefined ? {} : { key: options.key }),
  })
  // The swap dropped NOT NULL from the old values' column; it gets it back, proven first.
  if (current?.notNull === true)
    await proveNotNull(op, table, names.old, `${baseName(table)}_${names.old}_nn`.slice(0, 63))
  // The old column's indexes, set aside at the swap, get their names back once the new
  // column (and the indexes carried over to it) is gone.
  const setAside = op.offline
    ? []
    : (await columnDependents(op, table, names.old)).filter(
        (dependent) => dependent.definition && dependent.name.endsWith('_strata_old'),
      )
  await op.execute('BEGIN', [], MANAGED)
  await dropSyncTrigger(op, table, names)
  // Views that read the new column go down with it and are made again on the old one.
  const views = op.offline ? NO_VIEWS : await viewsReading(op, table, column)
  const drop = dropViews(views)
  if (drop !== undefined) await op.execute(drop)
  // A sequence the new column owns would go with it: it goes back to the old one first.
  const sequences = op.offline ? [] : ((await columnAttributes(op, table, column))?.ownedSequences ?? [])
  for (const sequence of sequences)
    await op.execute(`ALTER SEQUENCE ${sequence} OWNED BY ${relation(table)}.${quoteIdent(names.old)}`)
  if (oldDefault !== undefined)
    await op.execute(
      `ALTER TABLE ${relation(table)} ALTER COLUMN ${quoteIdent(names.old)} SET DEFAULT ${oldDefault}`,
    )
  await op.execute(`ALTER TABLE ${relation(table)} DROP COLUMN ${quoteIdent(column)}`)
  await op.execute(
    `ALTER TABLE ${relation(table)} RENAME COLUMN ${quoteIdent(names.old)} TO ${quoteIdent(column)}`,
  )
  if (!op.offline)
    for (const statement of await recompileTriggerFunctions(op, table)) await op.execute(statement)
  for (const index of setAside)
    await op.execute(
      `ALTER INDEX ${relation(inSchemaOf(table, index.name))} RENAME TO ${quoteIdent(index.name.slice(0, -'_strata_old'.length))}`,
    )
  for (const statement of views.create) await op.execute(statement)
  await op.execute('COMMIT', [], MANAGED)
}

/**
 * True when the swap is done: the old values sit in `<column>_strata_old`, the shadow
 * column is gone, and the column has the new type. That is what a run interrupted after
 * the swap (by a later step of its migration) leaves; run again, the recipe must not
 * rename the column a second time.
 */
async function typeAlreadySwapped(
  op: MigrationOp,
  table: RelationName,
  column: string,
  names: ReturnType<typeof typeChangeNames>,
  newType: string,
): Promise<boolean> {
  if ((await columnType(op, table, names.old)) === undefined) return false
  if ((await columnType(op, table, names.shadow)) !== undefined) return false
  return hasType(op, table, column, newType)
}

/** True when the column has the type `type` names (as PostgreSQL reads the name). */
async function hasType(op: MigrationOp, table: RelationName, column: string, type: string): Promise<boolean> {
  const [row] = await op.query<{ same: boolean }>(
    `SELECT a.atttypid = to_regtype($3) AS same FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [relation(table), column, type],
    MANAGED,
  )
  return row?.same === true
}

/** A table or column the recipe was given that the database does not have: said with the name meant. */
async function refuseMissingColumn(op: MigrationOp, table: RelationName, column: string): Promise<never> {
  const [found] = await op.query<{ table: boolean; columns: string[] }>(
    `SELECT to_regclass($1) IS NOT NULL AS table,
            ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [relation(table)],
    MANAGED,
  )
  const like = found?.table ? closestMatch(column, found.columns) : undefined
  throw new OperationFailedError(
    found?.table
      ? `changeColumnType('${baseName(table)}', '${column}'): ${baseName(table)} has no column ${column}${like === undefined ? '' : `. Did you mean "${like}"?`}`
      : `changeColumnType('${baseName(table)}', '${column}'): there is no table ${baseName(table)} in this database (or in the schemas of its search_path)`,
    {
      hint: 'check the names (and the schema: { schema, name }), and that the migration creating them comes first',
    },
  )
}

/** The column's type oid, or undefined when the table has no such column. */
async function columnType(op: MigrationOp, table: RelationName, column: string): Promise<number | undefined> {
  const [row] = await op.query<{ type: number }>(
    `SELECT atttypid::int AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
    [relation(table), column],
    MANAGED,
  )
  return row?.type
}

/** A BEFORE INSERT OR UPDATE trigger that sets `target` from `using`, evaluated on the new row. */
async function syncTrigger(
  op: MigrationOp,
  table: RelationName,
  names: ReturnType<typeof typeChangeNames>,
  target: string,
  using: string,
): Promise<void> {
  await op.execute('BEGIN', [], MANAGED)
  await op.execute(
    `CREATE OR REPLACE FUNCTION ${names.fn}() RETURNS trigger LANGUAGE plpgsql AS $strata$ BEGIN NEW.${quoteIdent(target)} := (SELECT ${using} FROM (SELECT NEW.*) AS row_source); RETURN NEW; END $strata$`,
  )
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(names.trigger)} ON ${relation(table)}`)
  await op.execute(
    `CREATE TRIGGER ${quoteIdent(names.trigger)} BEFORE INSERT OR UPDATE ON ${relation(table)} FOR EACH ROW EXECUTE FUNCTION ${names.fn}()`,
  )
  await op.execute('COMMIT', [], MANAGED)
}

/** The conversion to apply: the caller's, or a plain cast of the column to `type`. */
function usingExpression(options: ChangeColumnTypeOptions, column: string, type: string): string {
  if (typeof options.using === 'string') return options.using
  return options.using?.text ?? `${quoteIdent(column)}::${typeName(type)}`
}

async function dropSyncTrigger(
  op: MigrationOp,
  table: RelationName,
  names: ReturnType<typeof typeChangeNames>,
): Promise<void> {
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(names.trigger)} ON ${relation(table)}`)
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(names.legacyTrigger)} ON ${relation(table)}`)
  await op.execute(`DROP FUNCTION IF EXISTS ${names.fn}()`)
}
