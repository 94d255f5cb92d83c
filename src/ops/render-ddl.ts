import { quoteIdent, quoteLiteral } from '../db/quote.js'
import { describeValue } from '../util/describe-value.js'
import { type ColumnSpec, type ReferentialAction, referentialAction, renderColumn } from './column.js'
import { checkOptionKeys, OpArgumentError, optionKeys, requireString } from './op-arguments.js'
import {
  baseName,
  columnList,
  columnName,
  expressionText,
  isRawSql,
  type RawSql,
  type RelationName,
  relation,
  sqlValue,
  typeName,
} from './sql-fragments.js'

// One renderer per operation: each returns the statement(s) as text, so the same code
// serves online runs, offline scripts, `strata check` and the tests. Each checks the
// options it is given (op-arguments.ts): migrations run without a type check.

/** `{ ifExists, cascade }`: the options of the DROP renderers. */
export interface DropOptions {
  readonly ifExists?: boolean
  readonly cascade?: boolean
}

const DROP_KEYS = optionKeys<DropOptions>({ ifExists: true, cascade: true })
const IF_EXISTS_KEYS = optionKeys<{ ifExists?: boolean }>({ ifExists: true })
const IF_NOT_EXISTS_KEYS = optionKeys<{ ifNotExists?: boolean }>({ ifNotExists: true })

export interface CreateTableOptions {
  readonly ifNotExists?: boolean
  /** Table-level primary key over several columns. */
  readonly primaryKey?: readonly string[]
  readonly comment?: string
}

const CREATE_TABLE_KEYS = optionKeys<CreateTableOptions>({
  ifNotExists: true,
  primaryKey: true,
  comment: true,
})

export function renderCreateTable(
  table: RelationName,
  columns: readonly ColumnSpec[],
  options: CreateTableOptions = {},
): string[] {
  const call = `createTable('${baseName(table)}')`
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new OpArgumentError(
      `${call}: the columns must be a non-empty array, found ${describeValue(columns)}`,
      "e.g. op.createTable('users', [{ name: 'id', type: 'bigint', primaryKey: true, identity: true }])",
    )
  }
  checkOptionKeys(call, options, CREATE_TABLE_KEYS)
  const items = columns.map((column) => renderColumn(column, call))
  if (options.primaryKey) items.push(`PRIMARY KEY (${columnList(options.primaryKey)})`)
  const statements = [
    `CREATE TABLE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${relation(table)} (\n  ${items.join(',\n  ')}\n)`,
  ]
  if (options.comment !== undefined) statements.push(renderComment('TABLE', relation(table), options.comment))
  return statements
}

export function renderDropTable(table: RelationName, options: DropOptions = {}): string {
  checkOptionKeys(`dropTable('${baseName(table)}')`, options, DROP_KEYS)
  return `DROP TABLE ${options.ifExists ? 'IF EXISTS ' : ''}${relation(table)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderRenameTable(table: RelationName, newName: string): string {
  requireString(`renameTable('${baseName(table)}')`, 'the new name', newName)
  return `ALTER TABLE ${relation(table)} RENAME TO ${quoteIdent(newName)}`
}

export function renderAddColumn(
  table: RelationName,
  column: ColumnSpec,
  options: { ifNotExists?: boolean } = {},
): string {
  const call = `addColumn('${baseName(table)}')`
  checkOptionKeys(call, options, IF_NOT_EXISTS_KEYS)
  return `ALTER TABLE ${relation(table)} ADD COLUMN ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${renderColumn(column, call)}`
}

export function renderDropColumn(table: RelationName, column: string, options: DropOptions = {}): string {
  const call = `dropColumn('${baseName(table)}')`
  requireString(call, 'the column', column)
  checkOptionKeys(call, options, DROP_KEYS)
  return `ALTER TABLE ${relation(table)} DROP COLUMN ${options.ifExists ? 'IF EXISTS ' : ''}${quoteIdent(column)}${options.cascade ? ' CASCADE' : ''}`
}

/**
 * Changes to one column. Each given key becomes one ALTER TABLE action, in one
 * statement (one lock), except a rename, which PostgreSQL requires on its own.
 *
 * @example { type: 'bigint', using: sql('age::bigint') }
 * @example { nullable: false }
 * @example { default: sql('now()') }  /  { default: null } drops the default
 * @example { newName: 'age' }
 */
export interface AlterColumnChanges {
  readonly type?: string
  readonly using?: RawSql | string
  readonly nullable?: boolean
  readonly default?: unknown | RawSql | null
  readonly newName?: string
  readonly comment?: string | null
}

const ALTER_COLUMN_KEYS = optionKeys<AlterColumnChanges>({
  type: true,
  using: true,
  nullable: true,
  default: true,
  newName: true,
  comment: true,
})

export function renderAlterColumn(
  table: RelationName,
  column: string,
  changes: AlterColumnChanges,
): string[] {
  const call = `alterColumn('${baseName(table)}', '${column}')`
  requireString(call, 'the column', column)
  checkOptionKeys(call, changes, ALTER_COLUMN_KEYS)
  const target = relation(table)
  const name = quoteIdent(column)
  const actions: string[] = []
  if (changes.type !== undefined) {
    actions.push(
      `ALTER COLUMN ${name} TYPE ${typeName(changes.type)}${changes.using ? ` USING ${expressionText(call, 'using', changes.using)}` : ''}`,
    )
  }
  if (changes.nullable !== undefined)
    actions.push(`ALTER COLUMN ${name} ${changes.nullable ? 'DROP' : 'SET'} NOT NULL`)
  if ('default' in changes) {
    actions.push(
      changes.default === null
        ? `ALTER COLUMN ${name} DROP DEFAULT`
        : `ALTER COLUMN ${name} SET DEFAULT ${sqlValue(changes.default)}`,
    )
  }
  const statements = actions.length > 0 ? [`ALTER TABLE ${target} ${actions.join(', ')}`] : []
  if (changes.comment !== undefined)
    statements.push(renderComment('COLUMN', `${target}.${name}`, changes.comment))
  if (changes.newName !== undefined)
    statements.push(`ALTER TABLE ${target} RENAME COLUMN ${name} TO ${quoteIdent(changes.newName)}`)
  if (statements.length === 0) {
    throw new OpArgumentError(`${call}: nothing to change`, `give one of ${ALTER_COLUMN_KEYS.join(', ')}`)
  }
  return statements
}

export interface CreateIndexOptions {
  readonly unique?: boolean
  /** Partial index: `sql('deleted_at IS NULL')` or the same as a string. */
  readonly where?: RawSql | string
  readonly include?: readonly string[]
  /** btree (default), hash, gin, gist, brin, spgist. */
  readonly using?: string
  /** Build without blocking writes: runs outside a transaction (see README). */
  readonly concurrently?: boolean
  readonly ifNotExists?: boolean
  /**
   * Column expressions after the columns: `[sql('lower(email)')]`. An `op.sql(...)` in
   * the columns themselves is an expression in its place, as Alembic's `text()` is.
   */
  readonly expressions?: readonly (RawSql | string)[]
}

const CREATE_INDEX_KEYS = optionKeys<CreateIndexOptions>({
  unique: true,
  where: true,
  include: true,
  using: true,
  concurrently: true,
  ifNotExists: true,
  expressions: true,
})

const DROP_INDEX_KEYS = optionKeys<DropIndexOptions>({ concurrently: true, ifExists: true, cascade: true })

export interface DropIndexOptions extends DropOptions {
  readonly concurrently?: boolean
}

/** An index key: a column by name, or an expression (`op.sql('lower(email)')`). */
export type IndexKey = string | RawSql

export function renderCreateIndex(
  name: string,
  table: RelationName,
  columns: readonly IndexKey[],
  options: CreateIndexOptions = {},
  /** `ON ONLY`: a partitioned table's own index, without its partitions'. */
  onlyParent = false,
): string {
  const call = `createIndex('${name}')`
  requireString('createIndex', 'the index name', name)
  if (Array.isArray(table)) {
    // createIndex(table, columns, options), as node-pg-migrate's pgm.createIndex takes it.
    const given = table.map(String)
    const options =
      columns !== null && typeof columns === 'object' && !Array.isArray(columns)
        ? `, { ${Object.entries(columns)
            .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
            .join(', ')} }`
        : ''
    throw new OpArgumentError(
      `createIndex('${name}', [${given.map((column) => `'${column}'`).join(', ')}]): the index name comes first, then the table`,
      `op.createIndex('ix_${name}_${given.join('_')}', '${name}', [${given.map((column) => `'${column}'`).join(', ')}]${options})`,
    )
  }
  checkOptionKeys(call, options, CREATE_INDEX_KEYS)
  if (!Array.isArray(columns)) {
    throw new OpArgumentError(
      `${call}: the columns must be an array, found ${describeValue(columns)}`,
      `e.g. op.createIndex('${name}', 'users', ['email'])`,
    )
  }
  const method = options.using ?? 'btree'
  if (!/^[a-z_]+$/.test(method)) {
    throw new OpArgumentError(
      `${call}: "${method}" is not an index method`,
      'use btree (the default), hash, gin, gist, brin or spgist',
    )
  }
  const keys = [
    ...columns.map((key) =>
      isRawSql(key) ? `(${expressionText(call, 'an index key', key)})` : columnName(key),
    ),
    ...(options.expressions ?? []).map(
      (expression) => `(${expressionText(call, 'expressions', expression)})`,
    ),
  ]
  if (keys.length === 0) {
    throw new OpArgumentError(
      `${call}: no columns`,
      "name the columns, or give expressions: [op.sql('lower(email)')]",
    )
  }
  return [
    `CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(name)}`,
    `ON ${onlyParent ? 'ONLY ' : ''}${relation(table)}${method === 'btree' ? '' : ` USING ${method}`} (${keys.join(', ')})`,
    options.include && options.include.length > 0 ? `INCLUDE (${columnList(options.include)})` : '',
    options.where ? `WHERE ${expressionText(call, 'where', options.where)}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}

export function renderDropIndex(name: RelationName, options: DropIndexOptions = {}): string {
  checkOptionKeys(`dropIndex('${baseName(name)}')`, options, DROP_INDEX_KEYS)
  return `DROP INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}${options.ifExists ? 'IF EXISTS ' : ''}${relation(name)}${options.cascade ? ' CASCADE' : ''}`
}

const USING_INDEX_KEYS = optionKeys<{ usingIndex?: string }>({ usingIndex: true })
const UNIQUE_KEYS = optionKeys<{ usingIndex?: string; deferrable?: boolean }>({
  usingIndex: true,
  deferrable: true,
})

export function renderCreatePrimaryKey(
  name: string,
  table: RelationName,
  columns: readonly string[],
  options: { usingIndex?: string } = {},
): string {
  checkOptionKeys(`createPrimaryKey('${name}')`, options, USING_INDEX_KEYS)
  const body = options.usingIndex
    ? `USING INDEX ${quoteIdent(options.usingIndex)}`
    : `(${columnList(columns)})`
  return `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(name)} PRIMARY KEY ${body}`
}

export function renderCreateUniqueConstraint(
  name: string,
  table: RelationName,
  columns: readonly string[],
  options: { usingIndex?: string; deferrable?: boolean } = {},
): string {
  checkOptionKeys(`createUniqueConstraint('${name}')`, options, UNIQUE_KEYS)
  const body = options.usingIndex
    ? `USING INDEX ${quoteIdent(options.usingIndex)}`
    : `(${columnList(columns)})`
  return `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE ${body}${options.deferrable ? ' DEFERRABLE' : ''}`
}

export interface ForeignKeyOptions {
  readonly onDelete?: ReferentialAction | Lowercase<ReferentialAction>
  readonly onUpdate?: ReferentialAction | Lowercase<ReferentialAction>
  /** Add without checking existing rows (brief lock); `validateConstraint` checks them later. */
  readonly notValid?: boolean
  readonly deferrable?: boolean
}

const FOREIGN_KEY_KEYS = optionKeys<ForeignKeyOptions>({
  onDelete: true,
  onUpdate: true,
  notValid: true,
  deferrable: true,
})

export function renderCreateForeignKey(
  name: string,
  table: RelationName,
  referencedTable: RelationName,
  columns: readonly string[],
  referencedColumns: readonly string[],
  options: ForeignKeyOptions = {},
): string {
  const call = `createForeignKey('${name}')`
  checkOptionKeys(call, options, FOREIGN_KEY_KEYS)
  for (const [what, list] of [
    ['columns', columns],
    ['referenced columns', referencedColumns],
  ] as const) {
    if (!Array.isArray(list) || list.length === 0) {
      throw new OpArgumentError(
        `${call}: the ${what} must be a non-empty array of column names, found ${describeValue(list)}`,
        `e.g. op.createForeignKey('${name}', 'orders', 'users', ['user_id'], ['id'])`,
      )
    }
  }
  return [
    `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(name)} FOREIGN KEY (${columnList(columns)})`,
    `REFERENCES ${relation(referencedTable)} (${columnList(referencedColumns)})`,
    options.onDelete ? `ON DELETE ${referentialAction(options.onDelete)}` : '',
    options.onUpdate ? `ON UPDATE ${referentialAction(options.onUpdate)}` : '',
    options.deferrable ? 'DEFERRABLE' : '',
    options.notValid ? 'NOT VALID' : '',
  ]
    .filter(Boolean)
    .join(' ')
}

const NOT_VALID_KEYS = optionKeys<{ notValid?: boolean }>({ notValid: true })

export function renderCreateCheckConstraint(
  name: string,
  table: RelationName,
  condition: RawSql,
  options: { notValid?: boolean } = {},
): string {
  const call = `createCheckConstraint('${name}')`
  checkOptionKeys(call, options, NOT_VALID_KEYS)
  return `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(name)} CHECK (${expressionText(call, 'the condition', condition)})${options.notValid ? ' NOT VALID' : ''}`
}

export function renderValidateConstraint(name: string, table: RelationName): string {
  return `ALTER TABLE ${relation(table)} VALIDATE CONSTRAINT ${quoteIdent(name)}`
}

export function renderDropConstraint(name: string, table: RelationName, options: DropOptions = {}): string {
  checkOptionKeys(`dropConstraint('${name}')`, options, DROP_KEYS)
  return `ALTER TABLE ${relation(table)} DROP CONSTRAINT ${options.ifExists ? 'IF EXISTS ' : ''}${quoteIdent(name)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderCreateSchema(name: string, options: { ifNotExists?: boolean } = {}): string {
  checkOptionKeys(`createSchema('${name}')`, options, IF_NOT_EXISTS_KEYS)
  return `CREATE SCHEMA ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(name)}`
}

export function renderDropSchema(name: string, options: DropOptions = {}): string {
  checkOptionKeys(`dropSchema('${name}')`, options, DROP_KEYS)
  return `DROP SCHEMA ${options.ifExists ? 'IF EXISTS ' : ''}${quoteIdent(name)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderCreateEnum(name: RelationName, values: readonly string[]): string {
  if (!Array.isArray(values) || values.length === 0) {
    throw new OpArgumentError(
      `createEnum('${baseName(name)}'): the values must be a non-empty array, found ${describeValue(values)}`,
      `e.g. op.createEnum('${baseName(name)}', ['active', 'disabled'])`,
    )
  }
  return `CREATE TYPE ${relation(name)} AS ENUM (${values.map(quoteLiteral).join(', ')})`
}

const ENUM_VALUE_KEYS = optionKeys<{ before?: string; after?: string; ifNotExists?: boolean }>({
  before: true,
  after: true,
  ifNotExists: true,
})

export function renderAddEnumValue(
  name: RelationName,
  value: string,
  options: { before?: string; after?: string; ifNotExists?: boolean } = {},
): string {
  checkOptionKeys(`addEnumValue('${baseName(name)}')`, options, ENUM_VALUE_KEYS)
  requireString(`addEnumValue('${baseName(name)}')`, 'the value', value)
  const position = options.before
    ? ` BEFORE ${quoteLiteral(options.before)}`
    : options.after
      ? ` AFTER ${quoteLiteral(options.after)}`
      : ''
  return `ALTER TYPE ${relation(name)} ADD VALUE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteLiteral(value)}${position}`
}

export function renderDropEnum(name: RelationName, options: { ifExists?: boolean } = {}): string {
  checkOptionKeys(`dropEnum('${baseName(name)}')`, options, IF_EXISTS_KEYS)
  return `DROP TYPE ${options.ifExists ? 'IF EXISTS ' : ''}${relation(name)}`
}

export function renderCreateExtension(
  name: string,
  options: { ifNotExists?: boolean; schema?: string } = {},
): string {
  checkOptionKeys(
    `createExtension('${name}')`,
    options,
    optionKeys<{ ifNotExists?: boolean; schema?: string }>({ ifNotExists: true, schema: true }),
  )
  return `CREATE EXTENSION ${options.ifNotExists === false ? '' : 'IF NOT EXISTS '}${quoteIdent(name)}${options.schema ? ` SCHEMA ${quoteIdent(options.schema)}` : ''}`
}

export function renderDropExtension(name: string, options: { ifExists?: boolean } = {}): string {
  checkOptionKeys(`dropExtension('${name}')`, options, IF_EXISTS_KEYS)
  return `DROP EXTENSION ${options.ifExists === false ? '' : 'IF EXISTS '}${quoteIdent(name)}`
}

/** `COMMENT ON <kind> <target> IS '...'` (or `IS NULL`). */
export function renderComment(
  kind: 'TABLE' | 'COLUMN' | 'INDEX' | 'SCHEMA' | 'TYPE',
  target: string,
  comment: string | null,
): string {
  return `COMMENT ON ${kind} ${target} IS ${comment === null ? 'NULL' : quoteLiteral(comment)}`
}

/** One INSERT for a batch of rows; the values go as parameters. */
export function renderBulkInsert(
  table: RelationName,
  rows: readonly Record<string, unknown>[],
): { text: string; values: unknown[] } {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  if (columns.length === 0) {
    throw new OpArgumentError(
      `bulkInsert('${baseName(table)}'): the rows have no columns`,
      "give rows as objects: [{ email: 'a@example.com' }, ...]",
    )
  }
  const values: unknown[] = []
  const tuples = rows.map(
    (row) =>
      `(${columns
        .map((column) => {
          if (!(column in row)) return 'DEFAULT'
          values.push(row[column])
          return `$${values.length}`
        })
        .join(', ')})`,
  )
  return {
    text: `INSERT INTO ${relation(table)} (${columnList(columns)}) VALUES ${tuples.join(', ')}`,
    values,
  }
}
