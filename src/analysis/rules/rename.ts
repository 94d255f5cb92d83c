import { relationName } from '../ast.js'
import { tableKey } from '../schema-model.js'
import { tableSwaps } from '../table-swaps.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement, statementOf } from './rule.js'

const RENAMED: Record<string, string> = {
  OBJECT_COLUMN: 'column',
  OBJECT_TABLE: 'table',
  OBJECT_SCHEMA: 'schema',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
}

export default defineRule({
  id: 'rename',
  level: 'error',
  summary: 'renaming a column, table or schema breaks every running release that uses the old name',
  examples: {
    flagged: [
      'ALTER TABLE users RENAME COLUMN name TO full_name;',
      'ALTER TABLE users RENAME TO accounts;',
      'ALTER SCHEMA app RENAME TO core;',
      // The same two renames in autocommit: between them, `age` does not exist.
      'ALTER TABLE users RENAME COLUMN age TO age_old; ALTER TABLE users RENAME COLUMN age_new TO age;',
    ],
    accepted: [
      'CREATE TABLE t (a int); ALTER TABLE t RENAME COLUMN a TO b;',
      'ALTER INDEX ix_a RENAME TO ix_b;',
      'ALTER TABLE users ADD COLUMN age_new int; ALTER TABLE users RENAME COLUMN age_new TO age_tmp;',
      // A swap in one transaction (op.changeColumnType's): readers find `age` again at commit.
      {
        sql: 'ALTER TABLE users RENAME COLUMN age TO age_old; ALTER TABLE users RENAME COLUMN age_new TO age;',
        runner: true,
      },
      // The rule's own fix, in a migration's transaction: the old name is a view.
      {
        sql: 'ALTER TABLE users RENAME TO accounts; CREATE VIEW users AS SELECT * FROM accounts;',
        runner: true,
      },
    ],
  },
  check: perStatement(
    (statement, context) => {
      const rename = statementOf(statement, 'RenameStmt')
      const what = rename && RENAMED[rename.renameType]
      // Half of a swap, or a table kept under its old name as a view, in one transaction.
      if (!what || statement.effects.compatibleRename !== undefined) return undefined
      const table = rename.relation ? relationName(rename.relation) : undefined
      if (table !== undefined && !isExisting(statement, table)) return undefined
      // A column added earlier in the same migration has no readers yet.
      const addedHere = context.statements.some(
        (earlier) =>
          earlier.index < statement.index &&
          alterCommands(earlier).some(
            (cmd) =>
              cmd.subtype === 'AT_AddColumn' &&
              table !== undefined &&
              tableKey(cmd.table) === tableKey(table) &&
              cmd.def?.ColumnDef?.colname === rename.subname,
          ),
      )
      if (what === 'column' && addedHere) return undefined
      const old = what === 'column' ? `${table}.${rename.subname}` : (table ?? rename.subname)
      const contract = context.migration.phase === 'contract'
      const sqlTable = table === undefined ? '' : sqlTableName(table)
      // RENAME TO keeps the schema; the view that keeps the old name working reads the new one there.
      const renamedTable =
        table === undefined
          ? ''
          : sqlTableName(`${table.slice(0, table.lastIndexOf('.') + 1)}${rename.newname}`)
      // Half of a table swap run as separate statements: the name is missing in between.
      const swap = tableSwaps(context.statements).find(
        (candidate) => candidate.away === statement.index || candidate.back === statement.index,
      )
      if (swap !== undefined) {
        if (swap.back === statement.index) return undefined // reported once, at the first rename
        return {
          statement,
          message: `swaps table ${swap.table} for ${swap.replacement} in two statements outside a transaction: between them, queries of ${swap.table} fail with "does not exist"`,
          fix: [
            'BEGIN;',
            `ALTER TABLE ${sqlTableName(swap.table)} RENAME TO ${sqlIdent(tableBaseName(swap.oldName))};`,
            `ALTER TABLE ${sqlTableName(swap.replacement)} RENAME TO ${sqlIdent(tableBaseName(swap.table))};`,
            'COMMIT;  -- in a Strata migration, its own transaction does this',
          ].join('\n'),
        }
      }
      return {
        statement,
        level: contract ? 'warning' : undefined,
        message: `renames ${what} ${old} to ${rename.newname}: queries of the release still running fail with "does not exist"`,
        fix:
          what === 'column'
            ? [
                `expand: ALTER TABLE ${sqlTable} ADD COLUMN ${sqlIdent(rename.newname)} <type>; keep both written (trigger or app), backfill with op.backfill`,
                `contract (after every release reads ${rename.newname}): ALTER TABLE ${sqlTable} DROP COLUMN ${sqlIdent(rename.subname)}`,
              ].join('\n')
            : what === 'table'
              ? `ALTER TABLE ${sqlTable} RENAME TO ${sqlIdent(rename.newname)}; CREATE VIEW ${sqlTable} AS SELECT * FROM ${renamedTable};  -- old name keeps working until the contract phase drops the view`
              : `create the new ${what}, move objects, and drop the old one in a contract-phase migration`,
      }
    },
    ['RenameStmt'],
  ),
})
