import { alterCommands, defineRule, isExisting, perStatement, phaseDeclaration } from './rule.js'

export default defineRule({
  id: 'drop-column',
  level: 'error',
  summary: 'dropping a column destroys its data and breaks a running release that still reads or writes it',
  examples: {
    flagged: ['ALTER TABLE users DROP COLUMN old_column;'],
    accepted: [
      { sql: 'ALTER TABLE users DROP COLUMN old_column;', runner: true, phase: 'contract' },
      'CREATE TABLE t (a int, b int); ALTER TABLE t DROP COLUMN b;',
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_DropColumn' || !isExisting(statement, cmd.table)) return []
        // In a contract migration this is the plan; the phase rule and the backup cover it.
        if (context.migration.phase === 'contract') return []
        return [
          {
            statement,
            message: `drops column ${cmd.table}.${cmd.name} and its data; a release that still selects or inserts it fails`,
            fix: [
              `1. deploy code that no longer reads or writes ${cmd.name}`,
              `2. drop it in a migration with phase contract: ${phaseDeclaration(context.migration, 'contract')}`,
              '   strata deploy backs the database up before a contract step',
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
