import type { AnalysedStatement } from '../analysed-statement.js'
import { objectNames } from '../ast.js'
import { type ColumnReader, tableKey } from '../schema-model.js'
import {
  alterCommands,
  defineRule,
  isExisting,
  perStatement,
  type RuleContext,
  type RuleHit,
  statementOf,
} from './rule.js'

// PostgreSQL refuses to retype a column that a view or a stored generated column reads
// ("cannot alter type of a column used by a view or rule"), and to drop one, or a table
// a view reads, without CASCADE; with CASCADE the views go with it, silently, and the
// application's queries on them fail. Connected, the database says which read it.

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
      { sql: 'ALTER TABLE users DROP COLUMN name CASCADE;', database: USERS },
      { sql: 'DROP TABLE users;', database: USERS },
      { sql: 'DROP TABLE users CASCADE;', database: USERS },
    ],
    accepted: [
      {
        sql: 'DROP VIEW active_users; ALTER TABLE users ALTER COLUMN name TYPE varchar(200); CREATE VIEW active_users AS SELECT id, name FROM users;',
        database: USERS,
      },
      { sql: 'ALTER TABLE users ALTER COLUMN email TYPE varchar(200);', database: USERS },
      { sql: 'DROP VIEW active_users; DROP TABLE users;', database: USERS },
      // Offline, the database's views are not known.
      'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
    ],
  },
  check: perStatement(
    (statement, context) => [...columnFindings(statement, context), ...tableFindings(statement, context)],
    ['AlterTableStmt', 'DropStmt'],
  ),
})

/** A column retyped or dropped under what reads it. */
function columnFindings(statement: AnalysedStatement, context: RuleContext): RuleHit[] {
  return alterCommands(statement).flatMap((command) => {
    const retypes = command.subtype === 'AT_AlterColumnType'
    if (!retypes && command.subtype !== 'AT_DropColumn') return []
    if (command.name === undefined || !isExisting(statement, command.table)) return []
    const readers = (context.tableFacts?.(command.table)?.columnReaders?.get(command.name) ?? []).filter(
      (reader) => !takenDownBefore(reader, statement, context.statements),
    )
    if (readers.length === 0) return []
    const column = `${command.table}.${command.name}`
    const them = readers.map((reader) => reader.what).join(', ')
    const read = readers.length === 1 ? 'reads' : 'read'
    return [
      {
        statement,
        message: retypes
          ? `retypes ${column}, which ${them} ${read}: PostgreSQL refuses it (cannot alter type of a column used by a view or rule), and the migration fails`
          : command.cascade
            ? `drops ${column} with CASCADE, which drops ${them} too (${readers.length === 1 ? 'it reads' : 'they read'} the column): the application's queries on ${readers.length === 1 ? 'it' : 'them'} fail from then on`
            : `drops ${column}, which ${them} ${read}: PostgreSQL refuses it (other objects depend on it), and the migration fails`,
        fix: [
          ...readers.map((reader) => reader.drop),
          `${statement.sql};`,
          ...(retypes ? readers.map((reader) => reader.create) : []),
          `-- in the same transaction: nothing outside it finds them missing${retypes ? '' : ' (make them again without the column, if still wanted)'}; views that read these views go down and up with them`,
        ].join('\n'),
      },
    ]
  })
}

/** A table dropped under views that read it (the table's own generated columns go with it). */
function tableFindings(statement: AnalysedStatement, context: RuleContext): RuleHit[] {
  const drop = statementOf(statement, 'DropStmt')
  if (drop?.removeType !== 'OBJECT_TABLE') return []
  const dropped = objectNames(drop.objects)
  const cascade = drop.behavior === 'DROP_CASCADE'
  return dropped
    .filter((table) => isExisting(statement, table))
    .flatMap((table) => {
      const byName = new Map<string, ColumnReader>()
      for (const readers of context.tableFacts?.(table)?.columnReaders?.values() ?? [])
        for (const reader of readers)
          if (!reader.what.startsWith('generated column ')) byName.set(reader.name, reader)
      const readers = [...byName.values()].filter(
        (reader) =>
          !takenDownBefore(reader, statement, context.statements) &&
          !dropped.some((name) => tableKey(name) === tableKey(reader.name)),
      )
      if (readers.length === 0) return []
      const them = readers.map((reader) => reader.what).join(', ')
      return [
        {
          statement,
          message: cascade
            ? `drops table ${table} with CASCADE, which drops ${them} too: the application's queries on ${readers.length === 1 ? 'it' : 'them'} fail from then on`
            : `drops table ${table}, which ${them} ${readers.length === 1 ? 'reads' : 'read'}: PostgreSQL refuses it (other objects depend on it), and the migration fails`,
          fix: [
            ...readers.map((reader) => reader.drop),
            `${statement.sql};`,
            '-- the views first, named: a CASCADE takes whatever depends on the table without saying so',
          ].join('\n'),
        },
      ]
    })
}

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
