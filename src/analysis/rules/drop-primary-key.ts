import { addsPrimaryKey, primaryKeyName } from '../primary-keys.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import {
  type AlterCommandView,
  alterCommands,
  defineRule,
  isExisting,
  perStatement,
  type RuleContext,
} from './rule.js'

export default defineRule({
  id: 'drop-primary-key',
  level: 'error',
  summary:
    "dropping a table's primary key breaks ON CONFLICT on it, logical replication's UPDATE and DELETE, and lets duplicates in",
  examples: {
    flagged: [
      'ALTER TABLE users DROP CONSTRAINT users_pkey;',
      'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_pkey CASCADE;',
    ],
    accepted: [
      // The key replaced in the same migration, by an index built beforehand.
      'ALTER TABLE users DROP CONSTRAINT users_pkey, ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_bigint_key;',
      {
        sql: 'ALTER TABLE users DROP CONSTRAINT users_pkey; ALTER TABLE users ADD PRIMARY KEY USING INDEX users_new_key;',
        runner: true,
      },
      'ALTER TABLE users DROP CONSTRAINT users_email_key;',
      'CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t DROP CONSTRAINT t_pkey;',
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((command) => {
        if (command.subtype !== 'AT_DropConstraint' || command.name === undefined) return []
        if (!isExisting(statement, command.table)) return []
        if (command.name !== primaryKeyName(command.table, context.tableFacts?.(command.table))) return []
        if (addsPrimaryKey(command.table, context.statements)) return []
        return [
          {
            statement,
            message: dropMessage(command, context),
            fix: [
              `to change the key: build its new index first (CREATE UNIQUE INDEX CONCURRENTLY ${sqlIdent(`${tableBaseName(command.table)}_new_pkey`)} ON ${sqlTableName(command.table)} (<columns>)),`,
              `  then swap in one statement: ALTER TABLE ${sqlTableName(command.table)} DROP CONSTRAINT ${sqlIdent(command.name)}, ADD CONSTRAINT ${sqlIdent(command.name)} PRIMARY KEY USING INDEX ${sqlIdent(`${tableBaseName(command.table)}_new_pkey`)};`,
              `to go without one: set REPLICA IDENTITY FULL (or USING INDEX) on published tables first, and say why: -- strata:allow drop-primary-key: <why the table needs no key>`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})

function dropMessage(command: AlterCommandView, context: RuleContext): string {
  const published = context.tableFacts?.(command.table)?.publishedBy
  const parts = [
    `drops the primary key of ${command.table}: INSERT ... ON CONFLICT on its columns fails, and nothing stops duplicate keys`,
  ]
  if (published !== undefined && published.length > 0)
    parts.push(
      `it is published (${published.join(', ')}) with the key as replica identity: every UPDATE and DELETE of it fails on this server`,
    )
  else parts.push('a table published for logical replication refuses UPDATE and DELETE without it')
  if (command.cascade) parts.push('CASCADE also drops the foreign keys that reference it, in other tables')
  return parts.join('; ')
}
