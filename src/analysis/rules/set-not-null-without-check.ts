import { nameList } from '../ast.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

/** Since PostgreSQL 18 a NOT NULL constraint can be added NOT VALID and validated apart. */
const NOT_NULL_NOT_VALID_SINCE = 18

export default defineRule({
  id: 'set-not-null-without-check',
  level: 'error',
  summary: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK proves it',
  examples: {
    flagged: [
      'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      { sql: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email;', serverVersion: 18 },
    ],
    accepted: [
      `ALTER TABLE users ADD CONSTRAINT ck_email_nn CHECK (email IS NOT NULL) NOT VALID;
       ALTER TABLE users VALIDATE CONSTRAINT ck_email_nn;
       ALTER TABLE users ALTER COLUMN email SET NOT NULL;`,
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID;',
        serverVersion: 18,
      },
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((cmd) => {
        if (!isExisting(statement, cmd.table)) return []
        // SET NOT NULL, or 18's `ADD CONSTRAINT ... NOT NULL column` with its own name.
        const constraint = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined
        const columns =
          cmd.subtype === 'AT_SetNotNull'
            ? [cmd.name ?? 'column']
            : constraint?.contype === 'CONSTR_NOTNULL' && !constraint.skip_validation
              ? nameList(constraint.keys)
              : []
        return columns.flatMap((name: string) => {
          const scans = statement.effects.scans.some((scan) => scan.why.includes(`NULL in ${name}`))
          if (!scans) return []
          const table = sqlTableName(cmd.table)
          const column = sqlIdent(name)
          const base = tableBaseName(cmd.table)
          const notNull = sqlIdent(constraint?.conname ?? `${base}_${name}_not_null`.slice(0, 63))
          const check = sqlIdent(`ck_${base}_${name}_not_null`.slice(0, 63))
          const fix =
            context.serverVersion >= NOT_NULL_NOT_VALID_SINCE
              ? [
                  `ALTER TABLE ${table} ADD CONSTRAINT ${notNull} NOT NULL ${column} NOT VALID;  -- no scan (PostgreSQL 18)`,
                  `ALTER TABLE ${table} VALIDATE CONSTRAINT ${notNull};  -- separate transaction, SHARE UPDATE EXCLUSIVE`,
                ]
              : [
                  `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;`,
                  `ALTER TABLE ${table} VALIDATE CONSTRAINT ${check};  -- separate transaction, SHARE UPDATE EXCLUSIVE`,
                  `ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL;  -- no scan (PostgreSQL 12+)`,
                  `ALTER TABLE ${table} DROP CONSTRAINT ${check};`,
                ]
          return [
            {
              statement,
              message: `makes ${cmd.table}.${name} NOT NULL by scanning every row under ACCESS EXCLUSIVE: reads and writes wait`,
              fix: fix.join('\n'),
            },
          ]
        })
      }),
    ['AlterTableStmt'],
  ),
})
