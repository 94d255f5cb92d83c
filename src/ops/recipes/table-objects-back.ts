import { quoteIdent } from '../../db/quote.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, inSchemaOf, type RelationName, relation } from '../sql-fragments.js'
import { sideName } from './carried-table-objects.js'

// What `revertRebuild` gives the old table back when it takes its name again: the names
// of its indexes and constraints (set aside as `_strata_old` at the swap), its foreign
// keys (dropped at the swap), and the sequences its serial columns owned.

/**
 * For `revertRebuild`, once the old table has its name back: its indexes and
 * constraints set aside as `_strata_old` at the swap take their names back.
 */
export async function restoreNames(op: MigrationOp, table: RelationName): Promise<string[]> {
  const rows = await op.query<{ statement: string }>(
    `SELECT format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', c.oid::regclass, k.conname,
                   left(k.conname, length(k.conname) - length('_strata_old'))) AS statement
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE c.oid = to_regclass($1) AND right(k.conname, 11) = '_strata_old'
     UNION ALL
     SELECT format('ALTER INDEX %s RENAME TO %I', i.oid::regclass, left(i.relname, length(i.relname) - length('_strata_old')))
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = to_regclass($1) AND right(i.relname, 11) = '_strata_old'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)`,
    [relation(table)],
    MANAGED,
  )
  return rows.map((row) => row.statement)
}

/**
 * For `revertRebuild`, read before the rebuilt table goes: its foreign keys, to add to
 * the old table again (the swap dropped them there), NOT VALID in the swap back's
 * transaction and validated after it.
 */
export async function restoredForeignKeys(
  op: MigrationOp,
  rebuilt: RelationName,
  table: RelationName,
): Promise<{ add: string[]; validate: string[] }> {
  const rows = await op.query<{ name: string; definition: string }>(
    `SELECT k.conname::text AS name, pg_get_constraintdef(k.oid) AS definition FROM pg_constraint k
      WHERE k.conrelid = to_regclass($1) AND k.contype = 'f'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint o WHERE o.conrelid = to_regclass($2) AND o.conname = k.conname)
      ORDER BY 1`,
    [relation(rebuilt), relation(sideTable(table))],
    MANAGED,
  )
  return {
    add: rows.map(
      (row) =>
        `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(row.name)} ${row.definition.replace(/ NOT VALID$/, '')} NOT VALID`,
    ),
    validate: rows.map((row) => `ALTER TABLE ${relation(table)} VALIDATE CONSTRAINT ${quoteIdent(row.name)}`),
  }
}

/** The old table as the swap left it: `<table>_strata_old`. */
function sideTable(table: RelationName): RelationName {
  return inSchemaOf(table, sideName(baseName(table), 'old'))
}

/**
 * For `revertRebuild`, before the rebuilt table is dropped: the sequences its columns
 * own (a serial's, handed over at the swap) go back to the old table's columns of the
 * same names, so that the DROP does not take them from the old table's defaults.
 */
export async function sequencesBack(
  op: MigrationOp,
  rebuilt: RelationName,
  table: RelationName,
): Promise<string[]> {
  const rows = await op.query<{ statement: string }>(
    `SELECT format('ALTER SEQUENCE %s OWNED BY %s.%I', d.objid::regclass, to_regclass($2), att.attname) AS statement
       FROM pg_depend d JOIN pg_attribute att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass($1)
        AND d.deptype = 'a' AND (SELECT relkind FROM pg_class q WHERE q.oid = d.objid) = 'S'
        AND EXISTS (SELECT 1 FROM pg_attribute o WHERE o.attrelid = to_regclass($2) AND o.attname = att.attname
                      AND NOT o.attisdropped)
      ORDER BY 1`,
    [relation(rebuilt), relation(table)],
    MANAGED,
  )
  return rows.map((row) => row.statement)
}
