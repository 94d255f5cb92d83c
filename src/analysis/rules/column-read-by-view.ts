import type { AnalysedStatement } from '../analysed-statement.js'
import { objectNames } from '../ast.js'
import { type ColumnReader, tableKey } from '../schema-model.js'
import { alterCommands, defineRule, isExisting, perStatement, statementOf } from './rule.js'

// PostgreSQL refuses to retype a column that a view or a stored generated column reads
// ("cannot alter type of a column used by a view or rule"), and to drop one without
// CASCADE (which would drop them silently). Connected, the database says which read it:
// the migration that does not take them down first fails when it runs.

const READERS: ReadonlyMap<string, readonly ColumnReader[]> = new Map([
  [
    'name',
    [
      {
        what: 'view active_users',
        name: 'active_users',
        drop: 'DROP VIEW active_users;',
        create: 'CREATE VIEW active_users AS\n SELECT id, name FROM users;',
      },
    ],
  ],
])
const USERS = new Map([
  [
    'users',
    {
      sizeBytes: 8192,
      rows: 10,
      columns: new Map(),
      notNullChecks: new Set<string>(),
      columnReaders: READERS,
    },
  ],
])

export default defineRule({
  id: 'column-read-by-view',
  level: 'error',
  summary:
    'a column retyped or dropped under a view or generated column that reads it: PostgreSQL refuses it, and the migration fails',
  examples: {
    flagged: [
      { sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);', database: USERS },
      { sql: 'ALTER TABLE users DROP COLUMN name;', database: USERS },
    ],
    accepted: [
      {
        sql: 'DROP VIEW active_users; ALTER TABLE users ALTER COLUMN name TYPE varchar(200); CREATE VIEW active_users AS SELECT id, name FROM users;',
        database: USERS,
      },
      { sql: 'ALTER TABLE users ALTER COLUMN email TYPE varchar(200);', database: USERS },
      // Offline, the database's views are not known.
      'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((command) => {
        const retypes = command.subtype === 'AT_AlterColumnType'
        if (!retypes && !(command.subtype === 'AT_DropColumn' && !command.cascade)) return []
        if (command.name === undefined || !isExisting(statement, command.table)) return []
        const readers = (context.tableFacts?.(command.table)?.columnReaders?.get(command.name) ?? []).filter(
          (reader) => !takenDownBefore(reader, statement, context.statements),
        )
        if (readers.length === 0) return []
        const column = `${command.table}.${command.name}`
        return [
          {
            statement,
            message: `${retypes ? 'retypes' : 'drops'} ${column}, which ${readers.map((reader) => reader.what).join(', ')} ${readers.length === 1 ? 'reads' : 'read'}: PostgreSQL refuses it (${retypes ? 'cannot alter type of a column used by a view or rule' : 'other objects depend on it'}), and the migration fails`,
            fix: [
              ...readers.map((reader) => reader.drop),
              `${statement.sql};`,
              ...(retypes ? readers.map((reader) => reader.create) : []),
              `-- in the same transaction: nothing outside it finds them missing${retypes ? '' : ' (make them again without the column, if still wanted)'}; views that read these views go down and up with them`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})

/** A DROP VIEW (or DROP COLUMN of the generated column) earlier in the migration. */
function takenDownBefore(
  reader: ColumnReader,
  statement: AnalysedStatement,
  statements: readonly AnalysedStatement[],
): boolean {
  for (const earlier of statements) {
    if (earlier === statement) return false
    const drop = statementOf(earlier, 'DropStmt')
    if (
      drop !== undefined &&
      objectNames(drop.objects).some((name) => tableKey(name) === tableKey(reader.name))
    )
      return true
    for (const command of alterCommands(earlier))
      if (
        command.subtype === 'AT_DropColumn' &&
        tableKey(`${command.table}.${command.name}`) === tableKey(reader.name)
      )
        return true
  }
  return false
}
