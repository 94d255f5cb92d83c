import { partitionObjectName, sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'unique-without-using-index',
  level: 'error',
  summary: 'a UNIQUE or PRIMARY KEY constraint without USING INDEX builds its index under ACCESS EXCLUSIVE',
  examples: {
    flagged: [
      'ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email);',
      'ALTER TABLE users ADD PRIMARY KEY (id);',
    ],
    accepted: [
      'ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING INDEX ix_users_email_unique;',
      'CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT uq_a UNIQUE (a);',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        const constraint = cmd.def?.Constraint
        if (cmd.subtype !== 'AT_AddConstraint' || !isExisting(statement, cmd.table)) return []
        if (constraint?.contype !== 'CONSTR_UNIQUE' && constraint?.contype !== 'CONSTR_PRIMARY') return []
        if (constraint.indexname) return []
        const primary = constraint.contype === 'CONSTR_PRIMARY'
        const keys: string[] = (constraint.keys ?? []).map((k: any) => k.String?.sval)
        const columns = keys.map(sqlIdent).join(', ')
        // Without a name, PostgreSQL's own: <table>_pkey, <table>_<columns>_key.
        const name =
          constraint.conname ??
          (primary
            ? `${tableBaseName(cmd.table)}_pkey`
            : `${tableBaseName(cmd.table)}_${keys.join('_')}_key`
          ).slice(0, 63)
        const index = sqlIdent(`${name}_idx`.slice(0, 63))
        const table = sqlTableName(cmd.table)
        const kind = primary ? 'PRIMARY KEY' : 'UNIQUE'
        const partitions = statement.effects.partitions
        if (partitions !== undefined) {
          // The last step of the recipe below: every partition has the constraint already.
          if (statement.effects.adoptedConstraints.includes(constraint)) return []
          // A partitioned table takes neither CONCURRENTLY nor USING INDEX: each partition's
          // constraint from an index built CONCURRENTLY, then the table's, which adopts them.
          const partitionName = (partition: string) => partitionObjectName(name, partition)
          const steps = (partition: string) => [
            `CREATE UNIQUE INDEX CONCURRENTLY ${partitionName(partition)} ON ${sqlTableName(partition)} (${columns});  -- transactional: false`,
            `ALTER TABLE ${sqlTableName(partition)} ADD CONSTRAINT ${partitionName(partition)} ${kind} USING INDEX ${partitionName(partition)};`,
          ]
          return [
            {
              statement,
              message: `adds ${primary ? 'primary key' : 'unique constraint'} ${name} to the partitioned table ${cmd.table}: the index of each of its ${partitions.length} partition(s) is built under locks that block writes`,
              fix: [
                ...(partitions.length > 0 ? partitions.flatMap(steps) : steps('<partition>')),
                `ALTER TABLE ${table} ADD CONSTRAINT ${sqlIdent(name)} ${kind} (${columns});  -- adopts each partition's constraint: no build`,
              ].join('\n'),
            },
          ]
        }
        return [
          {
            statement,
            message: `adds ${primary ? 'primary key' : 'unique constraint'} ${name}: its index is built under ACCESS EXCLUSIVE on ${cmd.table}; reads and writes wait`,
            fix: [
              `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${table} (${columns});  -- transactional: false`,
              `ALTER TABLE ${table} ADD CONSTRAINT ${sqlIdent(name)} ${kind} USING INDEX ${index};`,
              primary
                ? ''
                : `TS (with duplicates to clean): await op.dedupeAndAddUnique('${cmd.table}', [${keys
                    .map((c) => `'${c}'`)
                    .join(', ')}], { name: '${name}' })`,
            ]
              .filter(Boolean)
              .join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
