import { quoteIdent, quoteLiteral } from '../../db/quote.js'
import { FOREIGN_KEY_VIOLATION, hasSqlState, LOCK_NOT_AVAILABLE } from '../../db/sqlstate.js'
import { OperationFailedError } from '../../errors/index.js'
import { jitteredBackoff } from '../../util/backoff.js'
import { closestMatch } from '../../util/closest-match.js'
import { type ColumnSpec, renderColumn } from '../column.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, OpArgumentError, optionKeys } from '../op-arguments.js'
import { refreshStatistics } from '../refresh-statistics.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, inSchemaOf, type RelationName, relation, splitName } from '../sql-fragments.js'
import {
  madeAlready,
  sideName,
  swapNames,
  tableObjects,
  uncarriedTableObjects,
} from './carried-table-objects.js'
import { dropViews, NO_VIEWS, viewsReading } from './carried-views.js'
import { restoredForeignKeys, restoreNames, sequencesBack } from './table-objects-back.js'

export interface RebuildTableOptions {
  /** The new table's columns (it gets the same primary key). */
  readonly columns: readonly ColumnSpec[]
  /** How each new column is computed from an old row (SQL over the old columns); default: the column of the same name. */
  readonly select?: Readonly<Record<string, string>>
  readonly batchSize?: number
  /** Attempts to take the brief exclusive lock of the swap (default 10). */
  readonly swapAttempts?: number
}

function names(table: RelationName) {
  const { schema, name } = splitName(table)
  const sibling = (suffix: string) => ({
    ...(schema ? { schema } : {}),
    name: `${name}${suffix}`.slice(0, 63),
  })
  return {
    table,
    shadow: sibling('_strata_new'),
    old: sibling('_strata_old'),
    log: sibling('_strata_log'),
    trigger: `strata_capture_${name}`.slice(0, 63),
    fn: sibling('_strata_capture'),
  }
}

/**
 * Rebuilds a large table with a new definition while the application keeps writing
 * (the guide's Scenario 1, shadow table, done safely):
 * 1. `<table>_strata_new` is created with the new columns;
 * 2. a trigger records the key of every row written to the table from now on;
 * 3. rows are copied in batches, by key;
 * 4. recorded changes are replayed (each changed row copied again, or deleted);
 * 5. under a short exclusive lock (lock_timeout, retried) the last changes are
 *    replayed and the names swap: the old table stays as `<table>_strata_old`.
 * Views that read the table are dropped and made again in the swap's transaction, so
 * they read the new one. Foreign keys of other tables that reference it, and
 * materialized views that read it, are refused before the first step: PostgreSQL binds
 * them to the table, not its name, and they would stay on the old one.
 * Downgrade: `op.revertRebuild(table)`.
 */
export async function rebuildTable(
  op: MigrationOp,
  table: RelationName,
  options: RebuildTableOptions,
): Promise<void> {
  checkOptionKeys(
    `rebuildTable('${baseName(table)}')`,
    options,
    optionKeys<RebuildTableOptions>({ columns: true, select: true, batchSize: true, swapAttempts: true }),
  )
  if (op.offline) {
    throw new OperationFailedError(
      'rebuildTable copies rows by key and replays changes: it cannot be rendered offline',
      {
        hint: 'run this migration online',
      },
    )
  }
  // Before the commit: a definition the rows cannot be copied into leaves the migration's
  // earlier statements uncommitted.
  const before = await oldColumns(op, table)
  const existing = new Set(before.keys())
  if (existing.size === 0) {
    const like = closestMatch(baseName(table), await visibleTables(op))
    throw new OperationFailedError(
      `rebuildTable('${baseName(table)}'): there is no table ${baseName(table)} to rebuild in this database (or in the schemas of its search_path)${like === undefined ? '' : `. Did you mean "${like}"?`}`,
      {
        hint: 'check the name (and its schema: op.rebuildTable({ schema, name }, ...)), and that the migration creating it comes first',
      },
    )
  }
  const columns = copiedColumns(existing, table, options)
  noteLoosenedColumns(op, table, before, options.columns)
  await refuseBoundToTable(op, table)
  await refuseReadersOfDroppedColumns(op, table, options.columns)
  await op.autocommit(() => rebuild(op, table, options, columns))
}

/**
 * A foreign key of another table references the table by its oid: after the swap it
 * would check the old table, and refuse rows that reference new ones. Refused before
 * the first step, with nothing changed; so are a materialized view reading the table, and
 * a view with triggers or rules of its own (plain views are carried over).
 */
async function refuseBoundToTable(op: MigrationOp, table: RelationName): Promise<void> {
  const keys = await op.query<{ name: string }>(
    `SELECT format('foreign key %s of %s', conname, conrelid::regclass) AS name FROM pg_constraint
      WHERE contype = 'f' AND confrelid = to_regclass($1) AND conrelid <> confrelid ORDER BY 1`,
    [relation(table)],
    MANAGED,
  )
  const [owner] = await op.query<{ owner: string; ours: boolean }>(
    `SELECT pg_get_userbyid(relowner)::text AS owner, pg_has_role(current_user, relowner, 'MEMBER') AS ours
       FROM pg_class WHERE oid = to_regclass($1)`,
    [relation(table)],
    MANAGED,
  )
  if (owner !== undefined && !owner.ours)
    throw new OperationFailedError(
      `rebuildTable('${baseName(table)}'): ${baseName(table)} is owned by ${owner.owner}, and this role may not act as it: it could not put a trigger on the table or rename it. Nothing was changed`,
      {
        hint: `run the migration as ${owner.owner} (or a role granted it: GRANT ${owner.owner} TO <the migrating role>)`,
      },
    )
  const bound = [
    ...keys.map((key) => key.name),
    ...(await viewsReading(op, table)).refused,
    ...(await uncarriedTableObjects(op, table)),
  ]
  if (bound.length === 0) return
  throw new OperationFailedError(
    `rebuildTable('${baseName(table)}'): ${baseName(table)} has ${bound.join(', ')}, bound to the table, not to its name: after the swap ${bound.length === 1 ? 'it' : 'they'} would stay on the old table. Nothing was changed`,
    {
      hint: 'drop them first and add them again after the swap (a foreign key: NOT VALID, then VALIDATE; a materialized view: WITH NO DATA, then REFRESH), or change the table in place. Plain views are carried over',
    },
  )
}

/**
 * An index, constraint, view, policy or trigger that uses a column the new table leaves
 * out could not be made on it: refused before the first step, rather than after the
 * copy (an index) or at the swap (a view).
 */
async function refuseReadersOfDroppedColumns(
  op: MigrationOp,
  table: RelationName,
  columns: readonly ColumnSpec[],
): Promise<void> {
  const rows = await op.query<{ reader: string; column: string }>(
    `SELECT DISTINCT reader, col AS column FROM (
       SELECT 'index ' || i.relname AS reader, a.attname::text AS col
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.oid AND d.refobjid = x.indrelid
         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = d.refobjsubid
        WHERE x.indrelid = to_regclass($1) AND NOT x.indisprimary
       UNION ALL
       SELECT CASE k.contype WHEN 'c' THEN 'check ' WHEN 'f' THEN 'foreign key ' ELSE 'constraint ' END || k.conname, a.attname
         FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
        WHERE k.conrelid = to_regclass($1) AND k.contype IN ('c', 'u', 'x', 'f')
       UNION ALL
       SELECT 'view ' || r.ev_class::regclass::text, a.attname
         FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refobjid = to_regclass($1) AND r.ev_class <> d.refobjid
       UNION ALL
       SELECT 'policy ' || p.polname, a.attname
         FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND p.oid = d.objid
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refobjid = to_regclass($1)
       UNION ALL
       SELECT 'trigger ' || t.tgname, a.attname
         FROM pg_depend d JOIN pg_trigger t ON d.classid = 'pg_trigger'::regclass AND t.oid = d.objid
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.refobjid = to_regclass($1) AND NOT t.tgisinternal
     ) AS used
     WHERE col <> ALL ($2::text[])
     ORDER BY 2, 1`,
    [relation(table), columns.map((column) => column.name)],
    MANAGED,
  )
  if (rows.length === 0) return
  const left = [...new Set(rows.map((row) => row.column))]
  throw new OperationFailedError(
    `rebuildTable('${baseName(table)}'): the new table leaves out ${left.join(', ')}, which ${rows.map((row) => `${row.reader} (${row.column})`).join(', ')} ${rows.length === 1 ? 'uses' : 'use'}: ${rows.length === 1 ? 'it' : 'they'} could not be made on the new table. Nothing was changed`,
    {
      hint: `drop ${rows.length === 1 ? 'it' : 'them'} in this migration before the call (a view reading the column: make it again after, without the column), or keep the column in columns`,
    },
  )
}

/** The comment the swap puts on the rebuilt table's primary key (constraint comments show in no listing). */
const REBUILT_MARK = 'strata: rebuilt by rebuildTable; revertRebuild swaps the table before it back'

/** True when the table is one rebuildTable swapped in (its primary key carries the mark). */
async function isRebuilt(op: MigrationOp, table: RelationName): Promise<boolean> {
  const rows = await op.query(
    `SELECT 1 FROM pg_constraint k WHERE k.conrelid = to_regclass($1) AND k.contype = 'p'
        AND obj_description(k.oid, 'pg_constraint') = $2`,
    [relation(table), REBUILT_MARK],
    MANAGED,
  )
  return rows.length > 0
}

/** How long the shadow table's ANALYZE waits for its lock before leaving it to autovacuum. */
const SHADOW_ANALYZE_LOCK_MS = 5000

async function rebuild(
  op: MigrationOp,
  table: RelationName,
  options: RebuildTableOptions,
  columns: readonly string[],
): Promise<void> {
  const n = names(table)
  if (await alreadyRebuilt(op, n, options)) {
    // Interrupted after the swap: only the clean-up may be left.
    await op.execute(`DROP TABLE IF EXISTS ${relation(n.log)}`)
    await op.execute(`DROP FUNCTION IF EXISTS ${relation(n.fn)}()`)
    op.context.runtime?.onNotice?.(
      `${baseName(table)} has its new columns already, the old table kept as ${baseName(n.old)}: an earlier run of this migration swapped them`,
    )
    return
  }
  const key = await op.primaryKeyOf(table)
  const keys = key.map(quoteIdent)
  const expressions = columns.map((column) => options.select?.[column] ?? quoteIdent(column))
  const batch = options.batchSize ?? 5000
  const copyFrom = (condition: string) =>
    `INSERT INTO ${relation(n.shadow)} (${columns.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${expressions.join(', ')} FROM ${relation(table)} WHERE ${condition}`

  await op.execute(
    `CREATE TABLE IF NOT EXISTS ${relation(n.shadow)} (${[...options.columns.map((column) => renderColumn(column, `rebuildTable('${baseName(table)}')`))].join(', ')}${options.columns.some((column) => column.primaryKey) ? '' : `, PRIMARY KEY (${keys.join(', ')})`})`,
  )
  await op.execute(
    `CREATE TABLE IF NOT EXISTS ${relation(n.log)} (seq bigserial PRIMARY KEY, ${key.map((column) => `${quoteIdent(column)} ${'text'}`).join(', ')})`,
  )
  const recordKey = (row: 'NEW' | 'OLD') =>
    `INSERT INTO ${relation(n.log)} (${keys.join(', ')}) VALUES (${key.map((column) => `${row}.${quoteIdent(column)}::text`).join(', ')});`
  await op.execute(
    `CREATE OR REPLACE FUNCTION ${relation(n.fn)}() RETURNS trigger LANGUAGE plpgsql AS $strata$ BEGIN
       IF TG_OP <> 'INSERT' THEN ${recordKey('OLD')} END IF;
       IF TG_OP <> 'DELETE' THEN ${recordKey('NEW')} END IF;
       RETURN NULL; END $strata$`,
  )
  await op.execute(`DROP TRIGGER IF EXISTS ${quoteIdent(n.trigger)} ON ${relation(table)}`)
  await op.execute(
    `CREATE TRIGGER ${quoteIdent(n.trigger)} AFTER INSERT OR UPDATE OR DELETE ON ${relation(table)} FOR EACH ROW EXECUTE FUNCTION ${relation(n.fn)}()`,
  )

  // Copy by key, in batches; rows a writer touches meanwhile are in the log and replayed.
  let last: unknown[] | undefined
  for (;;) {
    const after =
      last === undefined
        ? 'TRUE'
        : `(${keys.join(', ')}) > (${key.map((_, index) => `$${index + 1}`).join(', ')})`
    const rows = await op.query(
      `WITH source AS (SELECT ${keys.join(', ')} FROM ${relation(table)} WHERE ${after} ORDER BY ${keys.join(', ')} LIMIT ${batch}),
            copied AS (${copyFrom(`(${keys.join(', ')}) IN (SELECT ${keys.join(', ')} FROM source)`)} ON CONFLICT DO NOTHING RETURNING 1)
       SELECT (SELECT count(*) FROM source)::int AS scanned, (SELECT json_build_array(${keys.join(', ')}) FROM source ORDER BY ${keys.map((column) => `${column} DESC`).join(', ')} LIMIT 1) AS last_key`,
      last ?? [],
    )
    const scanned = Number(rows[0]?.scanned ?? 0)
    if (scanned > 0) last = rows[0]!.last_key as unknown[]
    if (scanned < batch) break
  }
  // Replay until the log is short, then swap under a brief exclusive lock.
  while ((await replay(op, n, key, copyFrom, batch, true)) >= batch) {}
  // The old table's indexes and constraints, made on the new one now it holds the rows
  // (nobody else uses it: no CONCURRENTLY needed); a re-run skips those it made already.
  const objects = await tableObjects(op, table, n.shadow)
  const made = await madeAlready(op, n.shadow)
  for (const carried of objects.beforeSwap)
    if (![sideName(carried.name, 'new'), carried.name].some((name) => made.has(name)))
      await op.execute(carried.create)
  for (const statement of objects.validate) await op.execute(statement)
  // The table swapped in must not reach the application without statistics. Nobody
  // else uses the shadow table, so its lock comes at once (autovacuum gives way).
  await refreshStatistics(
    (text) => op.execute(text, [], MANAGED),
    false,
    n.shadow,
    undefined,
    SHADOW_ANALYZE_LOCK_MS,
  )
  for (let attempt = 1; ; attempt++) {
    try {
      await op.execute('BEGIN', [], MANAGED)
      await op.execute(`LOCK TABLE ${relation(table)} IN ACCESS EXCLUSIVE MODE`)
      while ((await replay(op, n, key, copyFrom, 1_000_000, false)) > 0) {}
      await op.execute(`DROP TRIGGER ${quoteIdent(n.trigger)} ON ${relation(table)}`)
      const views = await viewsReading(op, table)
      const drop = dropViews(views)
      if (drop !== undefined) await op.execute(drop)
      await op.execute(`ALTER TABLE ${relation(table)} RENAME TO ${quoteIdent(baseName(n.old))}`)
      await op.execute(`ALTER TABLE ${relation(n.shadow)} RENAME TO ${quoteIdent(baseName(table))}`)
      await resetSequences(op, table, options.columns)
      const [shadowKey] = await op.query<{ name: string }>(
        "SELECT conname::text AS name FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'",
        [relation(table)],
        MANAGED,
      )
      for (const statement of swapNames(table, n.old, objects, shadowKey?.name ?? ''))
        await op.execute(statement)
      for (const statement of objects.afterSwap) await op.execute(statement)
      // What tells revertRebuild, should the old table be gone, that this is the rebuilt one.
      await op.execute(
        `COMMENT ON CONSTRAINT ${quoteIdent(objects.primaryKey ?? shadowKey?.name ?? '')} ON ${relation(table)} IS ${quoteLiteral(REBUILT_MARK)}`,
      )
      // The views, made again, read the new table (one that names a column it no longer
      // has fails here, and the swap is rolled back).
      for (const statement of views.create) await op.execute(statement)
      await op.execute('COMMIT', [], MANAGED)
      break
    } catch (error) {
      await op.execute('ROLLBACK')
      if (!hasSqlState(error, LOCK_NOT_AVAILABLE) || attempt >= (options.swapAttempts ?? 10)) throw error
      await new Promise((resolve) => setTimeout(resolve, jitteredBackoff(attempt + 1, 200, 5000)))
    }
  }
  await op.execute(`DROP TABLE ${relation(n.log)}`)
  await op.execute(`DROP FUNCTION ${relation(n.fn)}()`)
}

/**
 * The new table's columns that rows are copied into: those the old table has (same
 * name) or that `select` computes. A column new to the table without a `select` takes
 * its default, as it would from `ADD COLUMN`; one that is NOT NULL without a default
 * could not, and is refused before anything is created.
 */
function copiedColumns(
  existing: ReadonlySet<string>,
  table: RelationName,
  options: RebuildTableOptions,
): string[] {
  const copied: string[] = []
  for (const column of options.columns) {
    if (existing.has(column.name) || options.select?.[column.name] !== undefined) {
      copied.push(column.name)
      continue
    }
    const required = column.nullable === false || column.primaryKey === true
    if (required && column.default === undefined && !column.identity)
      throw new OpArgumentError(
        `rebuildTable('${baseName(table)}'): column ${column.name} is new, NOT NULL and has no default: the copied rows would have no value for it`,
        `compute it from the old row: select: { ${column.name}: "<SQL over ${baseName(table)}'s columns>" }, or give it a default`,
      )
  }
  return copied
}

/**
 * True when the swap is done: the old table is `<table>_strata_old`, no shadow table is
 * left, and the table has the new definition's columns, in order. What a run interrupted
 * after the swap leaves; run again, the recipe must not swap a second time.
 */
async function alreadyRebuilt(
  op: MigrationOp,
  n: ReturnType<typeof names>,
  options: RebuildTableOptions,
): Promise<boolean> {
  const [row] = await op.query<{ old: boolean; shadow: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS old, to_regclass($2) IS NOT NULL AS shadow',
    [relation(n.old), relation(n.shadow)],
    MANAGED,
  )
  if (row === undefined || !row.old || row.shadow) return false
  const wanted = options.columns.map((column) => column.name)
  return JSON.stringify(await columnNames(op, n.table)) === JSON.stringify(wanted)
}

/** The tables a name without a schema can reach (for "did you mean"). */
async function visibleTables(op: MigrationOp): Promise<string[]> {
  const rows = await op.query<{ name: string }>(
    `SELECT relname::text AS name FROM pg_class WHERE relkind IN ('r', 'p') AND pg_table_is_visible(oid)`,
    [],
    MANAGED,
  )
  return rows.map((row) => row.name)
}

/** A column of the table as it is: its default (as pg_get_expr writes it) and NOT NULL. */
interface OldColumn {
  readonly default: string | undefined
  readonly notNull: boolean
}

/** The table's columns, in order (a recipe's own catalog lookup). */
async function oldColumns(op: MigrationOp, table: RelationName): Promise<Map<string, OldColumn>> {
  const rows = await op.query<{ name: string; default: string | null; notNull: boolean }>(
    `SELECT a.attname::text AS name, pg_get_expr(d.adbin, d.adrelid) AS default, a.attnotnull AS "notNull"
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated = ''
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [relation(table)],
    MANAGED,
  )
  return new Map(rows.map((row) => [row.name, { default: row.default ?? undefined, notNull: row.notNull }]))
}

/**
 * The new table is made from the columns given, so a default or NOT NULL the old column
 * had and the spec leaves out is gone after the swap: an insert that leaves the column
 * out stores NULL (or fails on NOT NULL), and NULLs become possible. Said before the
 * first step (it may be meant).
 */
function noteLoosenedColumns(
  op: MigrationOp,
  table: RelationName,
  old: ReadonlyMap<string, OldColumn>,
  columns: readonly ColumnSpec[],
): void {
  for (const column of columns) {
    const before = old.get(column.name)
    if (before === undefined) continue
    const madeByServer = column.identity || column.generated !== undefined || /serial/i.test(column.type)
    const notNull = column.nullable === false || column.primaryKey === true
    if (before.default !== undefined && column.default === undefined && !madeByServer)
      op.context.runtime?.onNotice?.(
        `rebuildTable('${baseName(table)}'): ${column.name} has DEFAULT ${before.default} and the new table's ${column.name} none: after the swap an insert that leaves it out stores NULL${notNull ? ' and fails on NOT NULL' : ''}. Give it default: op.sql(${JSON.stringify(before.default)}) in columns to keep it`,
      )
    if (before.notNull && !notNull && !madeByServer)
      op.context.runtime?.onNotice?.(
        `rebuildTable('${baseName(table)}'): ${column.name} is NOT NULL and the new table's ${column.name} nullable: after the swap NULLs can be written to it. Give it nullable: false in columns to keep it`,
      )
  }
}

/** The table's columns' names, in their order (a recipe's own catalog lookup). */
async function columnNames(op: MigrationOp, table: RelationName): Promise<string[]> {
  const rows = await op.query<{ name: string }>(
    `SELECT attname::text AS name FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [relation(table)],
    MANAGED,
  )
  return rows.map((row) => row.name)
}

/**
 * Replays up to `limit` logged changes: the rows they name are deleted from the new
 * table and copied again from the old one (a deleted row is simply not copied back).
 * Three statements in one transaction (or in the caller's), bounded by a sequence
 * number, so changes logged meanwhile wait for the next round. Returns how many log
 * entries it consumed.
 */
async function replay(
  op: MigrationOp,
  n: ReturnType<typeof names>,
  key: readonly string[],
  copyFrom: (condition: string) => string,
  limit: number,
  ownTransaction: boolean,
): Promise<number> {
  const keys = key.map(quoteIdent)
  const bound = await op.query<{ upto: string | null; taken: number }>(
    `SELECT max(seq)::text AS upto, count(*)::int AS taken FROM (SELECT seq FROM ${relation(n.log)} ORDER BY seq LIMIT ${Math.trunc(limit)}) AS next`,
  )
  const upto = bound[0]?.upto ?? null
  if (upto === null) return 0
  const logged = `SELECT DISTINCT ${keys.join(', ')} FROM ${relation(n.log)} WHERE seq <= ${BigInt(upto)}`
  const asText = (alias: string) => `(${keys.map((column) => `${alias}.${column}::text`).join(', ')})`
  if (ownTransaction) await op.execute('BEGIN', [], MANAGED)
  await op.execute(`DELETE FROM ${relation(n.shadow)} AS target WHERE ${asText('target')} IN (${logged})`)
  await op.execute(copyFrom(`${asText(relation(n.table))} IN (${logged})`))
  await op.execute(`DELETE FROM ${relation(n.log)} WHERE seq <= ${BigInt(upto)}`)
  if (ownTransaction) await op.execute('COMMIT', [], MANAGED)
  return bound[0]!.taken
}

async function resetSequences(
  op: MigrationOp,
  table: RelationName,
  columns: readonly ColumnSpec[],
): Promise<void> {
  for (const column of columns.filter((item) => item.identity)) {
    await op.execute(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(1, (SELECT COALESCE(max(${quoteIdent(column.name)}), 0) FROM ${relation(table)})))`,
      [relation(table), column.name],
    )
  }
}

/**
 * The downgrade of `rebuildTable`: the old table takes its name back and the rebuilt
 * one is dropped. Rows written after the rebuild are lost with it, so this refuses
 * when the rebuilt table has rows the old one lacks, unless `force` is given.
 */
export async function revertRebuild(
  op: MigrationOp,
  table: RelationName,
  options: { force?: boolean } = {},
): Promise<void> {
  checkOptionKeys(
    `revertRebuild('${baseName(table)}')`,
    options,
    optionKeys<{ force?: boolean }>({ force: true }),
  )
  const n = names(table)
  await op.autocommit(async () => {
    if (
      !op.offline &&
      (await op.query('SELECT 1 WHERE to_regclass($1) IS NULL', [relation(n.old)], MANAGED)).length > 0
    ) {
      // An earlier run of this downgrade swapped the tables back already; or a contract
      // migration dropped the old table, and the table is still the rebuilt one.
      if (await isRebuilt(op, table))
        throw new OperationFailedError(
          `revertRebuild('${baseName(table)}'): ${baseName(n.old)}, the table before the rebuild, is gone (a contract migration dropped it?): ${baseName(table)} is still the rebuilt one, and there is nothing to go back to. Nothing was changed`,
          {
            hint: 'write this downgrade by hand (op.rebuildTable with the old columns), or restore the old table from a backup',
          },
        )
      op.context.runtime?.onNotice?.(
        `${baseName(table)} has no ${baseName(n.old)} to go back to: an earlier run of this downgrade swapped it back already`,
      )
      return
    }
    if (!op.offline && !options.force) {
      const key = (await op.primaryKeyOf(table)).map(quoteIdent)
      const newer = await op.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${relation(table)} t WHERE NOT EXISTS (SELECT 1 FROM ${relation(n.old)} o WHERE (${key.map((column) => `o.${column}`).join(', ')}) = (${key.map((column) => `t.${column}`).join(', ')}))`,
      )
      if ((newer[0]?.n ?? 0) > 0) {
        throw new OperationFailedError(
          `reverting the rebuild of ${baseName(table)} would lose ${newer[0]!.n} rows written since it`,
          {
            hint: 'copy them to the old table first, or pass { force: true } to revertRebuild',
          },
        )
      }
    }
    const keys = op.offline ? { add: [], validate: [] } : await restoredForeignKeys(op, table, table)
    await op.execute('BEGIN', [], MANAGED)
    // Views that read the rebuilt table go down with it and are made again on the old one.
    const views = op.offline ? NO_VIEWS : await viewsReading(op, table)
    const drop = dropViews(views)
    if (drop !== undefined) await op.execute(drop)
    await op.execute(
      `ALTER TABLE ${relation(table)} RENAME TO ${quoteIdent(`${baseName(table)}_strata_rebuilt`.slice(0, 63))}`,
    )
    await op.execute(`ALTER TABLE ${relation(n.old)} RENAME TO ${quoteIdent(baseName(table))}`)
    const rebuilt = inSchemaOf(table, `${baseName(table)}_strata_rebuilt`.slice(0, 63))
    if (!op.offline)
      for (const statement of await sequencesBack(op, rebuilt, table)) await op.execute(statement)
    await op.execute(`DROP TABLE ${relation(rebuilt)}`)
    if (!op.offline) for (const statement of await restoreNames(op, table)) await op.execute(statement)
    for (const statement of keys.add) await op.execute(statement)
    for (const statement of views.create) await op.execute(statement)
    await op.execute('COMMIT', [], MANAGED)
    // The old rows may reference rows deleted while the rebuilt table served: the key then
    // stays NOT VALID (new rows are checked), and the downgrade says so.
    for (const statement of keys.validate)
      await op.execute(statement).catch((error: unknown) => {
        if (!hasSqlState(error, FOREIGN_KEY_VIOLATION)) throw error
        op.context.runtime?.onNotice?.(
          `${statement.replace(/^ALTER TABLE (.+) VALIDATE CONSTRAINT (.+)$/, 'foreign key $2 of $1')} stays NOT VALID: rows from before the rebuild reference rows deleted since (${(error as Error).message})`,
        )
      })
  })
}
