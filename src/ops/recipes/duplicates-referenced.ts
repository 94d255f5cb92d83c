import { GUARD_MARKER } from '../../analysis/statement-effects.js'
import { quoteLiteral } from '../../db/quote.js'
import { OperationFailedError } from '../../errors/index.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, type RelationName, relation } from '../sql-fragments.js'

// `dedupeAndAddUnique` moves duplicates aside with a DELETE, and a foreign key that
// references a duplicate acts on that DELETE: ON DELETE CASCADE deletes the referencing
// rows (kept nowhere: restoreDuplicates cannot bring them back), SET NULL or SET DEFAULT
// cut them loose, NO ACTION and RESTRICT fail the step. Rows that reference a duplicate
// are therefore refused before anything moves, with the UPDATE that points them at the
// row that stays: merging them is the application's decision, not the recipe's.

/** Foreign keys that reference the table (a partitioned child's once, not per partition). */
const REFERENCING_KEYS_SQL = `SELECT c.conname::text AS name, c.conrelid::regclass::text AS child, c.confdeltype AS action,
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS "childColumns",
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS "parentColumns"
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.confrelid = to_regclass($1) AND c.conparentid = 0
 ORDER BY 2, 1`

interface ReferencingKey {
  readonly name: string
  readonly child: string
  /** pg_constraint.confdeltype: a no action, r restrict, c cascade, n set null, d set default. */
  readonly action: string
  readonly childColumns: readonly string[]
  readonly parentColumns: readonly string[]
}

const ON_DELETE: Record<string, string> = {
  a: 'its NO ACTION would fail the move',
  r: 'its RESTRICT would fail the move',
  c: 'its ON DELETE CASCADE would delete them, kept nowhere',
  n: 'its ON DELETE SET NULL would cut them loose',
  d: 'its ON DELETE SET DEFAULT would point them elsewhere',
}

/** What picks the duplicates: the rows of each group of `partition` after the first in `order`. */
export interface DuplicateGroups {
  readonly table: RelationName
  /** Quoted, comma-separated. */
  readonly partition: string
  readonly order: string
  /** `"a" IS NOT NULL AND ...`: rows with a NULL key are never duplicates. */
  readonly notNull: string
}

/**
 * Refuses, with nothing moved, when rows of another table (or of this one) reference a
 * row that would move aside: each foreign key named with its count, its ON DELETE, and
 * the UPDATE that points the rows at the row that stays.
 */
export async function refuseReferencedDuplicates(op: MigrationOp, groups: DuplicateGroups): Promise<void> {
  const keys = await op.query<ReferencingKey & Record<string, unknown>>(
    REFERENCING_KEYS_SQL,
    [relation(groups.table)],
    MANAGED,
  )
  const found: { key: ReferencingKey; rows: number }[] = []
  for (const key of keys) {
    const [row] = await op.query<{ rows: number }>(
      `SELECT count(*)::int AS rows FROM ${key.child} AS child WHERE (${key.childColumns.map((column) => `child.${column}`).join(', ')}) IN (${duplicateKeys(groups, key.parentColumns)})`,
      [],
      MANAGED,
    )
    if ((row?.rows ?? 0) > 0) found.push({ key, rows: row!.rows })
  }
  if (found.length === 0) return
  const table = baseName(groups.table)
  throw new OperationFailedError(
    `dedupeAndAddUnique('${table}'): ${found
      .map(
        ({ key, rows }) =>
          `${rows} row${rows === 1 ? '' : 's'} of ${key.child} reference${rows === 1 ? 's' : ''} a duplicate it would move aside (foreign key ${key.name}: ${ON_DELETE[key.action] ?? 'it would act on them'})`,
      )
      .join('; ')}. Nothing was changed`,
    {
      hint: `point them at the row that stays first, in this migration before the recipe (restoreDuplicates does not point them back):\n${found.map(({ key }) => repointStatement(groups, key)).join('\n')}`,
    },
  )
}

/**
 * Which rows are duplicates, said once: the check before a move, its offline guard and
 * the move itself must pick the same rows. Every row of the table with a key, as
 * `columns` and its `position` in its group (a duplicate's is above 1); `quoted` for the
 * text that goes into format().
 */
export function rankedRows(
  groups: DuplicateGroups,
  columns: string,
  quoted = (text: string) => text,
): string {
  return `SELECT ${columns}, row_number() OVER (PARTITION BY ${quoted(groups.partition)} ORDER BY ${quoted(groups.order)}) AS position FROM ${quoted(relation(groups.table))} WHERE ${quoted(groups.notNull)}`
}

/** The referenced columns of every row that would move aside. */
function duplicateKeys(groups: DuplicateGroups, columns: readonly string[]): string {
  const list = columns.join(', ')
  return `SELECT ${list} FROM (${rankedRows(groups, list)}) AS ranked WHERE position > 1`
}

/** The UPDATE that points a foreign key's rows from each duplicate to its group's first row. */
function repointStatement(groups: DuplicateGroups, key: ReferencingKey): string {
  const parent = key.parentColumns
  const kept = parent.map(
    (column, index) =>
      `first_value(${column}) OVER (PARTITION BY ${groups.partition} ORDER BY ${groups.order}) AS kept_${index + 1}`,
  )
  const set = key.childColumns.map((column, index) => `${column} = survivor.kept_${index + 1}`)
  const match = key.childColumns.map((column, index) => `child.${column} = survivor.${parent[index]}`)
  const moved = parent.map(
    (column, index) => `survivor.${column} IS DISTINCT FROM survivor.kept_${index + 1}`,
  )
  return `  UPDATE ${key.child} AS child SET ${set.join(', ')} FROM (SELECT ${parent.join(', ')}, ${kept.join(', ')} FROM ${relation(groups.table)} WHERE ${groups.notNull}) AS survivor WHERE ${match.join(' AND ')} AND (${moved.join(' OR ')});`
}

/**
 * For a script rendered offline, which cannot look first: a statement that stops the
 * script where any foreign key's rows reference a row that would move aside.
 */
export function offlineReferencedDuplicatesGuard(groups: DuplicateGroups): string {
  const message = `dedupeAndAddUnique('${baseName(groups.table)}'): % row(s) of % reference a duplicate it would move aside (foreign key %): point them at the row that stays first. Nothing was changed`
  // format() arguments: %1$s the referencing table, %2$s the referenced columns, %3$s the referencing ones.
  const escaped = (text: string) => text.replace(/%/g, '%%')
  const ranked = `SELECT %2$s FROM (${rankedRows(groups, '%2$s', escaped)}) AS ranked WHERE position > 1`
  return `DO ${GUARD_MARKER}
DECLARE
  key record;
  found bigint;
BEGIN
  FOR key IN ${REFERENCING_KEYS_SQL.replace('$1', quoteLiteral(relation(groups.table)))} LOOP
    EXECUTE format(${quoteLiteral(`SELECT count(*) FROM %1$s AS child WHERE (%3$s) IN (${ranked})`)},
                   key.child, array_to_string(key."parentColumns", ', '),
                   (SELECT string_agg('child.' || column_name, ', ') FROM unnest(key."childColumns") AS column_name))
      INTO found;
    IF found > 0 THEN
      RAISE EXCEPTION ${quoteLiteral(message)}, found, key.child, key.name;
    END IF;
  END LOOP;
END
${GUARD_MARKER}`
}
