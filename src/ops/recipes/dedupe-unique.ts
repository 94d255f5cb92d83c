import { quoteIdent } from '../../db/quote.js'
import { hasSqlState, UNIQUE_VIOLATION } from '../../db/sqlstate.js'
import { OperationFailedError } from '../../errors/index.js'
import type { MigrationOp } from '../migration-op.js'
import { checkOptionKeys, optionKeys } from '../op-arguments.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, columnList, type RelationName, relation, splitName } from '../sql-fragments.js'
import {
  type DuplicateGroups,
  offlineReferencedDuplicatesGuard,
  rankedRows,
  refuseReferencedDuplicates,
} from './duplicates-referenced.js'
import { constraintState } from './validated-constraint.js'

export interface DedupeUniqueOptions {
  /** Constraint name (default `uq_<table>_<columns>`). */
  readonly name?: string
  /** Which row of a group survives: the first in this order (default: primary key, newest first). */
  readonly keep?: string
  /** How often to retry when writers add new duplicates while the index builds (default 3). */
  readonly attempts?: number
}

/** Where removed duplicates are kept: `<table>_strata_dups`, beside the table. */
export function duplicatesTable(table: RelationName): string {
  const { schema, name } = splitName(table)
  return `${schema ? `${schema}.` : ''}${`${name}_strata_dups`.slice(0, 63)}`
}

/**
 * De-duplicates a table, then adds a unique constraint without a long lock (the
 * guide's "Constraint Violation", done safely):
 * 1. rows that break uniqueness, all but the survivor of each group, move to
 *    `<table>_strata_dups` (so `restoreDuplicates` can put them back);
 * 2. the unique index builds CONCURRENTLY (writes continue); if a writer added a
 *    duplicate meanwhile, the invalid index is dropped and steps 1-2 repeat;
 * 3. `ADD CONSTRAINT ... UNIQUE USING INDEX`: a brief lock, no scan.
 * Returns the number of rows moved aside.
 */
export async function dedupeAndAddUnique(
  op: MigrationOp,
  table: RelationName,
  columns: readonly string[],
  options: DedupeUniqueOptions = {},
): Promise<number> {
  checkOptionKeys(
    `dedupeAndAddUnique('${baseName(table)}')`,
    options,
    optionKeys<DedupeUniqueOptions>({ name: true, keep: true, attempts: true }),
  )
  const name = (options.name ?? `uq_${baseName(table)}_${columns.join('_')}`).slice(0, 63)
  const side = duplicatesTable(table)
  const order = options.keep ?? (await primaryKeyOrder(op, table))
  let moved = 0
  const groups: DuplicateGroups = {
    table,
    partition: columnList(columns),
    order,
    notNull: columns.map((column) => `${quoteIdent(column)} IS NOT NULL`).join(' AND '),
  }
  await op.autocommit(async () => {
    for (let attempt = 1; ; attempt++) {
      // Before each move (writers may have added rows since): a row elsewhere that
      // references a duplicate is refused, not cascaded away or cut loose.
      if (op.offline) await op.execute(offlineReferencedDuplicatesGuard(groups))
      else await refuseReferencedDuplicates(op, groups)
      if (attempt === 1)
        await op.execute(`CREATE TABLE IF NOT EXISTS ${relation(side)} (LIKE ${relation(table)})`)
      const statement = `WITH ranked AS (${rankedRows(groups, 'ctid AS row_id')}),
              removed AS (DELETE FROM ${relation(table)} USING ranked WHERE ${relation(table)}.ctid = ranked.row_id AND ranked.position > 1 RETURNING ${relation(table)}.*),
              kept AS (INSERT INTO ${relation(side)} SELECT * FROM removed RETURNING 1)`
      if (op.offline) {
        await op.execute(`${statement} SELECT count(*) FROM kept`)
      } else {
        const rows = await op.query<{ moved: string }>(
          `${statement} SELECT count(*)::bigint AS moved FROM kept`,
        )
        moved += Number(rows[0]?.moved ?? 0)
      }
      try {
        await op.createIndex(name, table, columns, { unique: true, concurrently: true })
        break
      } catch (error) {
        if (!hasSqlState(error, UNIQUE_VIOLATION) || attempt >= (options.attempts ?? 3)) throw error
        // A writer inserted a duplicate during the build: drop the invalid index, dedupe again.
        await op.dropIndex(sideIndex(table, name), { concurrently: true, ifExists: true })
      }
    }
    // Run again after an interruption past this point, the constraint is there already.
    if (op.offline || (await constraintState(op, name, table)) === 'missing') {
      await op.execute('BEGIN', [], MANAGED)
      await op.createUniqueConstraint(name, table, columns, { usingIndex: name })
      await op.execute('COMMIT', [], MANAGED)
    }
  })
  op.context.runtime?.onNotice?.(
    `${baseName(table)}: ${moved} duplicate row${moved === 1 ? '' : 's'} moved to ${side}; unique constraint ${name} added`,
  )
  return moved
}

/**
 * The reverse of `dedupeAndAddUnique`: drops the constraint and puts the removed rows
 * back from the side table, then drops it.
 */
export async function restoreDuplicates(
  op: MigrationOp,
  table: RelationName,
  constraint: string,
): Promise<void> {
  const side = duplicatesTable(table)
  await op.dropConstraint(constraint, table, { ifExists: true })
  // By column name: later migrations may have added, dropped or re-added columns of the
  // table since the rows moved aside, so positions no longer match. Columns only one side
  // has are left to their defaults. The rows keep their identity values.
  const columns = op.offline ? undefined : await sharedColumns(op, table, side)
  const list = columns === undefined ? '' : ` (${columns.map(quoteIdent).join(', ')})`
  const select = columns === undefined ? '*' : columns.map(quoteIdent).join(', ')
  await op.execute(
    `INSERT INTO ${relation(table)}${list} OVERRIDING SYSTEM VALUE SELECT ${select} FROM ${relation(side)}`,
  )
  await op.dropTable(side)
}

/** Columns both tables have (the target's insertable ones), in the target's order. */
async function sharedColumns(op: MigrationOp, table: RelationName, side: string): Promise<string[]> {
  const rows = await op.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        AND EXISTS (SELECT 1 FROM pg_attribute b WHERE b.attrelid = $2::regclass AND b.attname = a.attname
                      AND b.attnum > 0 AND NOT b.attisdropped)
      ORDER BY a.attnum`,
    [relation(table), relation(side)],
  )
  return rows.map((row) => row.name)
}

function sideIndex(table: RelationName, name: string): string {
  const { schema } = splitName(table)
  return schema ? `${schema}.${name}` : name
}

async function primaryKeyOrder(op: MigrationOp, table: RelationName): Promise<string> {
  if (op.offline) {
    throw new OperationFailedError(
      'dedupeAndAddUnique needs `keep` in offline mode (it cannot look up the primary key)',
      {
        hint: "pass keep: 'id DESC' (the order in which the surviving row comes first)",
      },
    )
  }
  const key = await op.primaryKeyOf(table).catch(() => {
    throw new OperationFailedError(
      `dedupeAndAddUnique on ${baseName(table)}: no primary key to decide which row survives`,
      {
        hint: "pass keep: 'created_at DESC' (the order in which the surviving row of each group comes first)",
      },
    )
  })
  return key.map((column) => `${quoteIdent(column)} DESC`).join(', ')
}
