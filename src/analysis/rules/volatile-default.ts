import { typeInfo } from '../ast.js'
import { displayType } from '../column-types.js'
import { columnDefaultText, objectKey, sqlIdent, sqlTableName, tsString } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'volatile-default',
  level: 'error',
  summary: 'ADD COLUMN with a volatile default (any default before PostgreSQL 11) rewrites the whole table',
  examples: {
    flagged: [
      'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      { sql: "ALTER TABLE users ADD COLUMN status text DEFAULT 'active';", serverVersion: 10 },
    ],
    accepted: [
      "ALTER TABLE users ADD COLUMN status text DEFAULT 'active';",
      'ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_AddColumn' || !isExisting(statement, cmd.table)) return []
        const column = cmd.def?.ColumnDef?.colname
        const found = statement.effects.rewrites.find(
          (rewrite) => rewrite.why.includes('default') && rewrite.why.includes(`of ${column} `),
        )
        if (found === undefined) return []
        const table = sqlTableName(cmd.table)
        const type = displayType(typeInfo(cmd.def.ColumnDef.typeName))
        const expression = columnDefaultText(statement.sql, column) ?? '<expression>'
        return [
          {
            statement,
            message: `${found.why}: rewrites ${cmd.table} under ACCESS EXCLUSIVE`,
            fix: [
              `ALTER TABLE ${table} ADD COLUMN ${sqlIdent(column)} ${type};  -- no default: metadata only`,
              `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(column)} SET DEFAULT ${expression};  -- new rows only`,
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${objectKey(column)}: op.sql(${tsString(expression)}) }, where: ${tsString(`${sqlIdent(column)} IS NULL`)} })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
