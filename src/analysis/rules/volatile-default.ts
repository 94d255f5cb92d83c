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
        return [
          {
            statement,
            message: `${found.why}: rewrites ${cmd.table} under ACCESS EXCLUSIVE`,
            fix: [
              `ALTER TABLE ${cmd.table} ADD COLUMN ${column} <type>;  -- no default: metadata only`,
              `ALTER TABLE ${cmd.table} ALTER COLUMN ${column} SET DEFAULT <expression>;  -- new rows only`,
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${column}: op.sql('<expression>') }, where: '${column} IS NULL' })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
