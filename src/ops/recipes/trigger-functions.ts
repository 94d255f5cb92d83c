import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { baseName, type RelationName, relation } from '../sql-fragments.js'

// PL/pgSQL compiles a trigger function once per session and keeps the column types of
// NEW and OLD it was compiled against. After a column of the table changes type (the
// swap of changeColumnType, or a plain ALTER COLUMN TYPE), every session that had run the
// function fails each write with "type of parameter N (...) does not match that when
// preparing the plan (...)" until it reconnects. A function whose catalog row changes is
// compiled again on its next call, so the swap touches each one (ALTER FUNCTION ... COST,
// its own cost: nothing else changes) in the same transaction.

/**
 * The statements that make the table's PL/pgSQL trigger functions compile again in every
 * session; a function this role may not alter is said in a notice instead.
 */
export async function recompileTriggerFunctions(op: MigrationOp, table: RelationName): Promise<string[]> {
  const functions = await op.query<{ name: string; cost: string; ours: boolean; owner: string }>(
    `SELECT DISTINCT p.oid::regprocedure::text AS name, p.procost::text AS cost,
            pg_has_role(p.proowner, 'MEMBER') AS ours, pg_get_userbyid(p.proowner)::text AS owner
       FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_language l ON l.oid = p.prolang
      WHERE t.tgrelid = to_regclass($1) AND NOT t.tgisinternal AND l.lanname = 'plpgsql'
      ORDER BY 1`,
    [relation(table)],
    MANAGED,
  )
  for (const fn of functions.filter((candidate) => !candidate.ours))
    op.context.runtime?.onNotice?.(
      `${fn.name}, a trigger function of ${baseName(table)} owned by ${fn.owner}, keeps the old column type in sessions that already ran it: their writes to ${baseName(table)} fail ("type of parameter ... does not match that when preparing the plan") until they reconnect, or until ${fn.owner} runs ALTER FUNCTION ${fn.name} COST ${fn.cost}`,
    )
  return functions.filter((fn) => fn.ours).map((fn) => `ALTER FUNCTION ${fn.name} COST ${fn.cost}`)
}
