import { typeInfo } from '../ast.js'
import { displayType } from '../column-types.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'not-null-without-default',
  level: 'error',
  summary:
    'a NOT NULL column without a default fails on a table with rows, and breaks inserts of the running release',
  examples: {
    flagged: ['ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;'],
    accepted: [
      "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';",
      'CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int NOT NULL;',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        const column = cmd.def?.ColumnDef
        if (cmd.subtype !== 'AT_AddColumn' || !isExisting(statement, cmd.table)) return []
        const types = new Set((column?.constraints ?? []).map((c: any) => c.Constraint?.contype))
        const notNull = types.has('CONSTR_NOTNULL') || types.has('CONSTR_PRIMARY')
        const filled =
          types.has('CONSTR_DEFAULT') || types.has('CONSTR_IDENTITY') || types.has('CONSTR_GENERATED')
        const serial = /serial/.test(column?.typeName?.names?.at(-1)?.String?.sval ?? '')
        if (!notNull || filled || serial) return []
        return [
          {
            statement,
            message: `adds ${cmd.table}.${column.colname} NOT NULL without a default: fails if ${cmd.table} has rows, and the running release's INSERTs fail`,
            fix: `TS: await op.addNotNullColumn('${cmd.table}', { name: '${column.colname}', type: '${displayType(typeInfo(column.typeName))}', default: <value> })\n    (nullable + batched backfill + CHECK NOT VALID + VALIDATE + SET NOT NULL)`,
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
