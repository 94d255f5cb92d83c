import type { AnalysedStatement } from '../analysed-statement.js'
import { nameList, relationName } from '../ast.js'
import { tableKey } from '../schema-model.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { partitionedIndexRecipe } from './partitioned-index-recipe.js'
import { alterCommands, defineRule, statementOf } from './rule.js'

// PostgreSQL indexes the referenced side of a foreign key (its primary key or unique
// constraint), never the referencing side. Without an index there, each delete or key
// update of a referenced row scans the whole referencing table, in the deleting
// transaction. Known offline only where the migration made the columns (a table it
// creates, a column it adds); for existing columns, only when connected, from the
// database's indexes (`strata diagnose indexes` reads them for keys already there).

interface ForeignKey {
  readonly table: string
  readonly columns: readonly string[]
  readonly referenced: string
  readonly statement: AnalysedStatement
  /** Created with the table in this migration (empty: a plain CREATE INDEX does). */
  readonly newTable: boolean
}

interface IndexKeys {
  readonly table: string
  readonly leading: readonly string[]
}

export default defineRule({
  id: 'foreign-key-without-index',
  level: 'warning',
  summary:
    'a foreign key on columns no index leads: each delete or key update of a referenced row scans the referencing table',
  examples: {
    flagged: [
      'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));',
      'ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);',
    ],
    accepted: [
      'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX ix_orders_user_id ON orders (user_id, id);',
      'CREATE TABLE memberships (user_id bigint REFERENCES users (id), team_id bigint, PRIMARY KEY (user_id, team_id));',
      // pg_dump's (and autogenerate's) form: the index names the table with its schema.
      'CREATE TABLE posts (id bigint, user_id bigint); ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id); CREATE INDEX posts_user_id_idx ON public.posts USING btree (user_id);',
      // An existing column: its indexes are not known offline.
      'ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    ],
  },
  check: (context) => {
    const keys: ForeignKey[] = []
    const indexes: IndexKeys[] = []
    const created = new Set<string>()
    const addedColumns = new Set<string>()
    for (const statement of context.statements) {
      const create = statementOf(statement, 'CreateStmt')
      if (create !== undefined) {
        const table = relationName(create.relation)
        created.add(tableKey(table))
        readTableElements(table, create.tableElts ?? [], statement, keys, indexes, true)
      }
      const index = statementOf(statement, 'IndexStmt')
      if (index !== undefined && index.whereClause === undefined) {
        const leading: string[] = []
        for (const param of index.indexParams ?? []) {
          const name = param.IndexElem?.name
          if (name === undefined) break
          leading.push(name)
        }
        indexes.push({ table: relationName(index.relation), leading })
      }
      for (const command of alterCommands(statement)) {
        const { table } = command
        if (command.subtype === 'AT_AddColumn' && command.def?.ColumnDef) {
          addedColumns.add(`${tableKey(table)}.${command.def.ColumnDef.colname}`)
          readTableElements(table, [command.def], statement, keys, indexes, created.has(tableKey(table)))
        } else if (command.subtype === 'AT_AddConstraint' && command.def?.Constraint) {
          const constraint = command.def.Constraint
          const columns = nameList(constraint.fk_attrs)
          const made =
            created.has(tableKey(table)) ||
            columns.every((column: string) => addedColumns.has(`${tableKey(table)}.${column}`))
          const existing = made ? undefined : context.tableFacts?.(table)?.indexLeadingColumns
          if (constraint.contype !== 'CONSTR_FOREIGN' || made || existing !== undefined)
            readTableElements(table, [command.def], statement, keys, indexes, created.has(tableKey(table)))
          for (const leading of existing ?? []) indexes.push({ table, leading })
        }
      }
    }
    return keys
      .filter(
        // `posts` and `public.posts` are one table (pg_dump writes the second).
        (key) =>
          !indexes.some(
            (index) => tableKey(index.table) === tableKey(key.table) && leads(index.leading, key.columns),
          ),
      )
      .map((key) => {
        const name = sqlIdent(`ix_${tableBaseName(key.table)}_${key.columns.join('_')}`.slice(0, 63))
        const columns = key.columns.map(sqlIdent).join(', ')
        const opCall = `await op.createIndex('${`ix_${tableBaseName(key.table)}_${key.columns.join('_')}`.slice(0, 63)}', '${key.table}', [${key.columns.map((column) => `'${column}'`).join(', ')}]`
        return {
          statement: key.statement,
          message: `${key.table}.${key.columns.join(', ')} references ${key.referenced} with no index on ${key.columns.length === 1 ? 'it' : 'them'}: each delete or key update of a ${key.referenced} row scans ${key.table}`,
          fix: key.newTable
            ? `CREATE INDEX ${name} ON ${sqlTableName(key.table)} (${columns});  -- in this migration: the table is new, so no lock to mind\nTS: ${opCall})  -- after the table is created, in this migration`
            : key.statement.effects.partitions !== undefined
              ? // PostgreSQL refuses CONCURRENTLY on a partitioned table: partition by partition.
                partitionedIndexRecipe(
                  `CREATE INDEX ${name} ON ${sqlTableName(key.table)} (${columns});`,
                  key.table,
                  name,
                  key.statement.effects.partitions,
                )
              : `CREATE INDEX CONCURRENTLY ${name} ON ${sqlTableName(key.table)} (${columns});  -- in a migration with transactional: false\nTS: ${opCall}, { concurrently: true })`,
        }
      })
  },
})

/** Foreign keys and index keys of column definitions and table constraints. */
function readTableElements(
  table: string,
  elements: readonly any[],
  statement: AnalysedStatement,
  keys: ForeignKey[],
  indexes: IndexKeys[],
  newTable: boolean,
): void {
  for (const element of elements) {
    const column = element.ColumnDef
    if (column !== undefined) {
      for (const item of column.constraints ?? []) {
        const constraint = item.Constraint
        if (constraint?.contype === 'CONSTR_PRIMARY' || constraint?.contype === 'CONSTR_UNIQUE')
          indexes.push({ table, leading: [column.colname] })
        if (constraint?.contype === 'CONSTR_FOREIGN')
          keys.push({
            table,
            columns: [column.colname],
            referenced: relationName(constraint.pktable),
            statement,
            newTable,
          })
      }
      continue
    }
    const constraint = element.Constraint
    if (constraint?.contype === 'CONSTR_PRIMARY' || constraint?.contype === 'CONSTR_UNIQUE')
      indexes.push({ table, leading: nameList(constraint.keys) })
    if (constraint?.contype === 'CONSTR_FOREIGN')
      keys.push({
        table,
        columns: nameList(constraint.fk_attrs),
        referenced: relationName(constraint.pktable),
        statement,
        newTable,
      })
  }
}

/** Whether an index's leading columns are the key's columns, in any order. */
function leads(leading: readonly string[], columns: readonly string[]): boolean {
  if (leading.length < columns.length) return false
  const first = leading.slice(0, columns.length)
  return columns.every((column) => first.includes(column))
}
