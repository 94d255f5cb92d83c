import { isVirtual } from '../alter-table-effects.js'
import { typeInfo } from '../ast.js'
import { displayType } from '../column-types.js'
import { generatedExpressionText, objectKey, sqlIdent, sqlTableName, tsString } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'stored-generated-column',
  level: 'error',
  summary:
    'adding a stored generated column computes it for every row: a table rewrite under ACCESS EXCLUSIVE',
  examples: {
    flagged: ['ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;'],
    accepted: [
      'CREATE TABLE t (a text, b text GENERATED ALWAYS AS (lower(a)) STORED);',
      'ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) VIRTUAL;',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        const column = cmd.def?.ColumnDef
        if (cmd.subtype !== 'AT_AddColumn' || !isExisting(statement, cmd.table)) return []
        const constraints = (column?.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean)
        const generated = constraints.some((c: any) => c.contype === 'CONSTR_GENERATED')
        if (!generated || isVirtual(constraints)) return []
        const expression = generatedExpressionText(statement.sql) ?? '<expression>'
        return [
          {
            statement,
            message: `adds stored generated column ${cmd.table}.${column.colname}: every row is rewritten under ACCESS EXCLUSIVE`,
            fix: [
              `ALTER TABLE ${sqlTableName(cmd.table)} ADD COLUMN ${sqlIdent(column.colname)} ${displayType(typeInfo(column.typeName))};  -- plain column, metadata only`,
              `CREATE TRIGGER ... BEFORE INSERT OR UPDATE that sets NEW.${sqlIdent(column.colname)} := ${expression}, to keep it computed for new rows`,
              `PostgreSQL 18: ... GENERATED ALWAYS AS (${expression}) VIRTUAL  -- computed when read, nothing written`,
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${objectKey(column.colname)}: op.sql(${tsString(expression)}) }, where: ${tsString(`${sqlIdent(column.colname)} IS NULL`)} })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
