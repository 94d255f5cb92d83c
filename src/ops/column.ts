import { quoteIdent } from '../db/quote.js'
import { describeValue } from '../util/describe-value.js'
import {
  checkOptionKeys,
  OpArgumentError,
  optionKeys,
  requireRelation,
  requireString,
} from './op-arguments.js'
import {
  expressionText,
  isRawSql,
  type RawSql,
  type RelationName,
  relation,
  sqlValue,
  typeName,
} from './sql-fragments.js'

/**
 * A column, in the guide's vocabulary.
 *
 * @example { name: 'id', type: 'bigint', primaryKey: true, identity: 'always' }
 * @example { name: 'email', type: 'text', nullable: false }
 * @example { name: 'preferences', type: 'jsonb', nullable: false, default: {} }
 * @example { name: 'created_at', type: 'timestamptz', nullable: false, default: sql('now()') }
 */
export interface ColumnSpec {
  readonly name: string
  /** A PostgreSQL type: `bigint`, `text`, `jsonb`, `numeric(10, 2)`, `timestamptz`, ... */
  readonly type: string
  /** Default true, as in SQL. */
  readonly nullable?: boolean
  /** A value (becomes a literal) or `sql('now()')` for an expression. */
  readonly default?: unknown | RawSql
  readonly primaryKey?: boolean
  readonly unique?: boolean
  /** `GENERATED ALWAYS AS IDENTITY` (`'always'` or `true`) or `BY DEFAULT`. */
  readonly identity?: boolean | 'always' | 'by default'
  /** An inline foreign key: `{ table: 'users', onDelete: 'CASCADE' }`, or `'users'` / `'users(id)'`. */
  readonly references?: ColumnReference | string
  /** A stored generated column: `GENERATED ALWAYS AS (expr) STORED`. */
  readonly generated?: RawSql | string
  readonly collation?: string
}

export interface ColumnReference {
  readonly table: RelationName
  readonly column?: string
  readonly onDelete?: ReferentialAction | Lowercase<ReferentialAction>
  readonly onUpdate?: ReferentialAction | Lowercase<ReferentialAction>
}

const COLUMN_KEYS = optionKeys<ColumnSpec>({
  name: true,
  type: true,
  nullable: true,
  default: true,
  primaryKey: true,
  unique: true,
  identity: true,
  references: true,
  generated: true,
  collation: true,
})

const REFERENCE_KEYS = optionKeys<ColumnReference>({
  table: true,
  column: true,
  onDelete: true,
  onUpdate: true,
})

export type ReferentialAction = 'CASCADE' | 'SET NULL' | 'SET DEFAULT' | 'RESTRICT' | 'NO ACTION'

const ACTIONS: readonly ReferentialAction[] = ['CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION']

export function referentialAction(action: string): ReferentialAction {
  const normalised = action.toUpperCase() as ReferentialAction
  if (!ACTIONS.includes(normalised))
    throw new OpArgumentError(`"${action}" is not a referential action`, `use one of ${ACTIONS.join(', ')}`)
  return normalised
}

/**
 * An object default is written as JSON, which only a json or jsonb column means. On any
 * other it is a guess at another tool's raw-SQL form (Knex's `knex.raw`, a `{ sql: ... }`)
 * that would become that JSON text in every row, or fail on a typed column.
 */
function refuseObjectDefault(where: string, column: ColumnSpec): void {
  const value = column.default
  if (typeof value !== 'object' || value === null || isRawSql(value) || value instanceof Date) return
  if (/^json/i.test(column.type.trim())) return
  const text = Object.values(value as Record<string, unknown>).find((entry) => typeof entry === 'string')
  throw new OpArgumentError(
    `${where}: the default ${JSON.stringify(value)} would be written as that JSON text into a ${column.type} column`,
    typeof text === 'string'
      ? `for an SQL expression write default: op.sql(${JSON.stringify(text)}); an object is a value for json and jsonb columns`
      : "an object is a value for json and jsonb columns; for an SQL expression write default: op.sql('...')",
  )
}

/**
 * `"email" text NOT NULL DEFAULT 'x'`.
 *
 * @param call the op call it belongs to, for messages: `createTable('users')`
 */
export function renderColumn(column: ColumnSpec, call = 'column'): string {
  if (typeof column !== 'object' || column === null || Array.isArray(column)) {
    throw new OpArgumentError(
      `${call}: a column must be an object ({ name, type, ... }), found ${describeValue(column)}`,
      "e.g. { name: 'email', type: 'text', nullable: false }",
    )
  }
  const where = `${call}, column ${typeof column.name === 'string' ? column.name : '?'}`
  requireString(where, 'name', column.name)
  requireString(where, 'type', column.type)
  checkOptionKeys(where, column, COLUMN_KEYS)
  const parts = [quoteIdent(column.name), typeName(column.type)]
  if (column.collation) parts.push(`COLLATE ${quoteIdent(column.collation)}`)
  if (column.identity)
    parts.push(`GENERATED ${column.identity === 'by default' ? 'BY DEFAULT' : 'ALWAYS'} AS IDENTITY`)
  if (column.generated)
    parts.push(`GENERATED ALWAYS AS (${expressionText(where, 'generated', column.generated)}) STORED`)
  if (column.nullable === false || column.primaryKey) parts.push('NOT NULL')
  if (column.default !== undefined) {
    refuseObjectDefault(where, column)
    parts.push(`DEFAULT ${sqlValue(column.default)}`)
  }
  if (column.primaryKey) parts.push('PRIMARY KEY')
  if (column.unique) parts.push('UNIQUE')
  if (column.references !== undefined) {
    const target = columnReference(where, column.references)
    parts.push(
      `REFERENCES ${relation(target.table)}${target.column ? ` (${quoteIdent(target.column)})` : ''}`,
    )
    if (target.onDelete) parts.push(`ON DELETE ${referentialAction(target.onDelete)}`)
    if (target.onUpdate) parts.push(`ON UPDATE ${referentialAction(target.onUpdate)}`)
  }
  return parts.join(' ')
}

/** `'users'`, `'app.users(id)'` (node-pg-migrate's form) or `{ table, column, onDelete }`. */
function columnReference(call: string, references: ColumnReference | string): ColumnReference {
  if (typeof references === 'string') {
    const match = /^\s*([\w$.]+)\s*(?:\(\s*([\w$]+)\s*\))?\s*$/.exec(references)
    if (match) return { table: match[1]!, column: match[2] }
    throw new OpArgumentError(
      `${call}: references '${references}' is not a table name or table(column)`,
      "write references: 'users', 'users(id)', or { table: 'users', column: 'id', onDelete: 'CASCADE' }",
    )
  }
  checkOptionKeys(`${call}, references`, references, REFERENCE_KEYS)
  requireRelation(`${call}, references`, 'table', references.table)
  return references
}
