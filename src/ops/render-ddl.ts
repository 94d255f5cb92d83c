import { quoteIdent, quoteLiteral } from '../db/quote.js'
import { type ColumnSpec, type ReferentialAction, referentialAction, renderColumn } from './column.js'
import {
  baseName,
  columnList,
  type RawSql,
  type RelationName,
  relation,
  sqlValue,
  typeName,
} from './sql-fragments.js'

// One renderer per operation: each returns the statement(s) as text, so the same code
// serves online runs, offline scripts, `strata check` and the tests.

export interface CreateTableOptions {
  readonly ifNotExists?: boolean
  /** Table-level primary key over several columns. */
  readonly primaryKey?: readonly string[]
  readonly comment?: string
}

export function renderCreateTable(
  table: RelationName,
  columns: readonly ColumnSpec[],
  options: CreateTableOptions = {},
): string[] {
  if (columns.length === 0) throw new Error(`createTable ${baseName(table)}: at least one column is needed`)
  const items = columns.map(renderColumn)
  if (options.primaryKey) items.push(`PRIMARY KEY (${columnList(options.primaryKey)})`)
  const statements = [
    `CREATE TABLE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${relation(table)} (\n  ${items.join(',\n  ')}\n)`,
  ]
  if (options.comment !== undefined) statements.push(renderComment('TABLE', relation(table), options.comment))
  return statements
}

export function renderDropTable(
  table: RelationName,
  options: { ifExists?: boolean; cascade?: boolean } = {},
): string {
  return `DROP TABLE ${options.ifExists ? 'IF EXISTS ' : ''}${relation(table)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderRenameTable(table: RelationName, newName: string): string {
  return `ALTER TABLE ${relation(table)} RENAME TO ${quoteIdent(newName)}`
}

export function renderAddColumn(
  table: RelationName,
  column: ColumnSpec,
  options: { ifNotExists?: boolean } = {},
): string {
  return `ALTER TABLE ${relation(table)} ADD COLUMN ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${renderColumn(column)}`
}

export function renderDropColumn(
  table: RelationName,
  column: string,
  options: { ifExists?: boolean; cascade?: boolean } = {},
): string {
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
  readonly using?: RawSql
  readonly nullable?: boolean
  readonly default?: unknown | RawSql | null
  readonly newName?: string
  readonly comment?: string | null
}

export function renderAlterColumn(
  table: RelationName,
  column: string,
  changes: AlterColumnChanges,
): string[] {
  const target = relation(table)
  const name = quoteIdent(column)
  const actions: string[] = []
  if (changes.type !== undefined) {
    actions.push(
      `ALTER COLUMN ${name} TYPE ${typeName(changes.type)}${changes.using ? ` USING ${changes.using.text}` : ''}`,
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
  if (statements.length === 0) throw new Error(`alterColumn ${baseName(table)}.${column}: nothing to change`)
  return statements
}

export interface CreateIndexOptions {
  readonly unique?: boolean
  /** Partial index: `sql('deleted_at IS NULL')`. */
  readonly where?: RawSql
  readonly include?: readonly string[]
  /** btree (default), hash, gin, gist, brin, spgist. */
  readonly using?: string
  /** Build without blocking writes: runs outside a transaction (see README). */
  readonly concurrently?: boolean
  readonly ifNotExists?: boolean
  /** Column expressions instead of plain columns: `[sql('lower(email)')]`. */
  readonly expressions?: readonly RawSql[]
}

export function renderCreateIndex(
  name: string,
  table: RelationName,
  columns: readonly string[],
  options: CreateIndexOptions = {},
): string {
  const method = options.using ?? 'btree'
  if (!/^[a-z_]+$/.test(method)) throw new Error(`"${method}" is not an index method`)
  const keys = [
    ...columns.map(quoteIdent),
    ...(options.expressions ?? []).map((expression) => `(${expression.text})`),
  ]
  if (keys.length === 0) throw new Error(`createIndex ${name}: no columns`)
  return [
    `CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(name)}`,
    `ON ${relation(table)}${method === 'btree' ? '' : ` USING ${method}`} (${keys.join(', ')})`,
    options.include && options.include.length > 0 ? `INCLUDE (${columnList(options.include)})` : '',
    options.where ? `WHERE ${options.where.text}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}

export function renderDropIndex(
  name: RelationName,
  options: { concurrently?: boolean; ifExists?: boolean; cascade?: boolean } = {},
): string {
  return `DROP INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}${options.ifExists ? 'IF EXISTS ' : ''}${relation(name)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderCreatePrimaryKey(
  name: string,
  table: RelationName,
  columns: readonly string[],
  options: { usingIndex?: string } = {},
): string {
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

export function renderCreateForeignKey(
  name: string,
  table: RelationName,
  referencedTable: RelationName,
  columns: readonly string[],
  referencedColumns: readonly string[],
  options: ForeignKeyOptions = {},
): string {
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

export function renderCreateCheckConstraint(
  name: string,
  table: RelationName,
  condition: RawSql,
  options: { notValid?: boolean } = {},
): string {
  return `ALTER TABLE ${relation(table)} ADD CONSTRAINT ${quoteIdent(name)} CHECK (${condition.text})${options.notValid ? ' NOT VALID' : ''}`
}

export function renderValidateConstraint(name: string, table: RelationName): string {
  return `ALTER TABLE ${relation(table)} VALIDATE CONSTRAINT ${quoteIdent(name)}`
}

export function renderDropConstraint(
  name: string,
  table: RelationName,
  options: { ifExists?: boolean; cascade?: boolean } = {},
): string {
  return `ALTER TABLE ${relation(table)} DROP CONSTRAINT ${options.ifExists ? 'IF EXISTS ' : ''}${quoteIdent(name)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderCreateSchema(name: string, options: { ifNotExists?: boolean } = {}): string {
  return `CREATE SCHEMA ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdent(name)}`
}

export function renderDropSchema(
  name: string,
  options: { ifExists?: boolean; cascade?: boolean } = {},
): string {
  return `DROP SCHEMA ${options.ifExists ? 'IF EXISTS ' : ''}${quoteIdent(name)}${options.cascade ? ' CASCADE' : ''}`
}

export function renderCreateEnum(name: RelationName, values: readonly string[]): string {
  if (values.length === 0) throw new Error(`createEnum ${baseName(name)}: no values`)
  return `CREATE TYPE ${relation(name)} AS ENUM (${values.map(quoteLiteral).join(', ')})`
}

export function renderAddEnumValue(
  name: RelationName,
  value: string,
  options: { before?: string; after?: string; ifNotExists?: boolean } = {},
): string {
  const position = options.before
    ? ` BEFORE ${quoteLiteral(options.before)}`
    : options.after
      ? ` AFTER ${quoteLiteral(options.after)}`
      : ''
  return `ALTER TYPE ${relation(name)} ADD VALUE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteLiteral(value)}${position}`
}

export function renderDropEnum(name: RelationName, options: { ifExists?: boolean } = {}): string {
  return `DROP TYPE ${options.ifExists ? 'IF EXISTS ' : ''}${relation(name)}`
}

export function renderCreateExtension(
  name: string,
  options: { ifNotExists?: boolean; schema?: string } = {},
): string {
  return `CREATE EXTENSION ${options.ifNotExists === false ? '' : 'IF NOT EXISTS '}${quoteIdent(name)}${options.schema ? ` SCHEMA ${quoteIdent(options.schema)}` : ''}`
}

export function renderDropExtension(name: string, options: { ifExists?: boolean } = {}): string {
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
  if (columns.length === 0) throw new Error(`bulkInsert ${baseName(table)}: rows have no columns`)
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
