import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'set-not-null-without-check',
  level: 'error',
  summary: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK proves it',
  examples: {
    flagged: ['ALTER TABLE users ALTER COLUMN email SET NOT NULL;'],
    accepted: [
      `ALTER TABLE users ADD CONSTRAINT ck_email_nn CHECK (email IS NOT NULL) NOT VALID;
       ALTER TABLE users VALIDATE CONSTRAINT ck_email_nn;
       ALTER TABLE users ALTER COLUMN email SET NOT NULL;`,
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_SetNotNull' || !isExisting(statement, cmd.table)) return []
        const scans = statement.effects.scans.some((scan) => scan.why.includes(`NULL in ${cmd.name}`))
        if (!scans) return []
        const check = sqlIdent(`ck_${tableBaseName(cmd.table)}_${cmd.name}_not_null`.slice(0, 63))
        const table = sqlTableName(cmd.table)
        const column = sqlIdent(cmd.name ?? 'column')
        return [
          {
            statement,
            message: `makes ${cmd.table}.${cmd.name} NOT NULL by scanning every row under ACCESS EXCLUSIVE: reads and writes wait`,
            fix: [
              `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;`,
              `ALTER TABLE ${table} VALIDATE CONSTRAINT ${check};  -- separate transaction, SHARE UPDATE EXCLUSIVE`,
              `ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL;  -- no scan (PostgreSQL 12+)`,
              `ALTER TABLE ${table} DROP CONSTRAINT ${check};`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
