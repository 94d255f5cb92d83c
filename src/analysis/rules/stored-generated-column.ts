import { objectKey, sqlIdent, sqlTableName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'stored-generated-column',
  level: 'error',
  summary:
    'adding a stored generated column computes it for every row: a table rewrite under ACCESS EXCLUSIVE',
  examples: {
    flagged: ['ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;'],
    accepted: ['CREATE TABLE t (a text, b text GENERATED ALWAYS AS (lower(a)) STORED);'],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        const column = cmd.def?.ColumnDef
        if (cmd.subtype !== 'AT_AddColumn' || !isExisting(statement, cmd.table)) return []
        const generated = (column?.constraints ?? []).some(
          (c: any) => c.Constraint?.contype === 'CONSTR_GENERATED',
        )
        if (!generated) return []
        return [
          {
            statement,
            message: `adds stored generated column ${cmd.table}.${column.colname}: every row is rewritten under ACCESS EXCLUSIVE`,
            fix: [
              `ALTER TABLE ${sqlTableName(cmd.table)} ADD COLUMN ${sqlIdent(column.colname)} <type>;  -- plain column, metadata only`,
              'CREATE TRIGGER ... BEFORE INSERT OR UPDATE to keep it computed for new rows',
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${objectKey(column.colname)}: op.sql('<expression>') }, where: '${sqlIdent(column.colname)} IS NULL' })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
