import { quoteIdent, quoteLiteral, quoteQualified } from '../db/quote.js'
import { describeValue } from '../util/describe-value.js'
import { OpArgumentError } from './op-arguments.js'

// RawSql is recognised by a registered symbol, not by its class alone: a migration that
// goes through the module loader gets `sql` from Strata's library modules (dist/index.js),
// while the bundled executable runs its own copy of the same class.
const RAW_SQL = Symbol.for('strata.RawSql')

/**
 * An SQL expression written by the migration author (`now()`, `gen_random_uuid()`),
 * inserted as it is. Anything else given as a default is a value and becomes a
 * literal. DDL cannot take parameters, so literals are the one place values enter
 * SQL text, always through `quoteLiteral`.
 */
export class RawSql {
  readonly [RAW_SQL] = true
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

/** Marks an SQL expression: `op.addColumn('users', { name: 'created_at', type: 'timestamptz', default: sql('now()') })`. */
export function sql(text: string): RawSql {
  return new RawSql(text)
}

/** True for `sql(...)` fragments, whichever copy of Strata's modules made them. */
export function isRawSql(value: unknown): value is RawSql {
  return typeof value === 'object' && value !== null && (value as { [RAW_SQL]?: unknown })[RAW_SQL] === true
}

/** A table (or index, type...) name, optionally schema-qualified: `'users'`, `'app.users'` or `{ schema, name }`. */
export type RelationName = string | { readonly schema?: string; readonly name: string }

export function splitName(name: RelationName): { schema: string | undefined; name: string } {
  const named = typeof name === 'object' && name !== null ? name.name : name
  if (typeof named !== 'string' || named.length === 0)
    throw new OpArgumentError(
      `a table (or index, type) name must be a string ('users', 'app.users') or { schema, name }, found ${describeValue(name)}`,
      'see the op API in the README for the arguments of each call',
    )
  if (typeof name !== 'string') return { schema: name.schema, name: name.name }
  const dot = name.indexOf('.')
  return dot === -1 ? { schema: undefined, name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) }
}

/** `"app"."users"` or `"users"`. */
export function relation(name: RelationName): string {
  const parts = splitName(name)
  return quoteQualified(parts.schema, parts.name)
}

/** `name` in the schema `table` is in (its indexes, its shadow and side tables). */
export function inSchemaOf(table: RelationName, name: string): RelationName {
  const { schema } = splitName(table)
  return schema ? { schema, name } : { name }
}

/** The bare name, for deriving constraint and index names. */
export function baseName(name: RelationName): string {
  return splitName(name).name
}

/** A value or expression as SQL text: RawSql as is, everything else as a literal. */
export function sqlValue(value: unknown): string {
  if (isRawSql(value)) return value.text
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  if (value instanceof Date) return quoteLiteral(value.toISOString())
  if (typeof value === 'object') return quoteLiteral(JSON.stringify(value))
  if (typeof value === 'string' && EXPRESSION_LIKE.test(value)) {
    throw new OpArgumentError(
      `the string '${value}' would be written as a value, not evaluated as SQL (a default of 'now()' would be one fixed moment for every row)`,
      `write op.sql('${value}') for the expression; op.sql("'${value.replace(/'/g, "''")}'") if the text itself is meant`,
    )
  }
  return quoteLiteral(String(value))
}

/** Strings that read as an SQL call or keyword rather than a value: `now()`, `CURRENT_TIMESTAMP`. */
const EXPRESSION_LIKE =
  /^\s*(?:[A-Za-z_][\w.]*\([\s\S]*\)|current_(?:timestamp|date|time|user)|localtime(?:stamp)?|session_user)\s*$/i

/**
 * An SQL expression written by the migration author, as `op.sql('...')` or a plain
 * string (where only an expression can stand: an index predicate, a USING clause).
 */
export function expressionText(call: string, what: string, value: RawSql | string): string {
  if (isRawSql(value)) return value.text
  if (typeof value === 'string' && value.trim().length > 0) return value
  throw new OpArgumentError(
    `${call}: ${what} must be an SQL expression (op.sql('...') or a string), found ${describeValue(value)}`,
    `e.g. ${what}: op.sql('deleted_at IS NULL')`,
  )
}

export function columnList(columns: readonly string[]): string {
  return columns.map(columnName).join(', ')
}

/** A column name, quoted; anything but a non-empty string is refused by name. */
export function columnName(column: unknown): string {
  if (typeof column === 'string' && column.length > 0) return quoteIdent(column)
  throw new OpArgumentError(
    `a column name must be a non-empty string, found ${describeValue(column)}`,
    "e.g. ['user_id'], or op.sql('lower(email)') where expressions are taken",
  )
}

/**
 * A PostgreSQL type name, checked so that no statement can be smuggled in through it:
 * letters, digits, spaces, underscores, dots, quotes, brackets, parentheses and commas
 * (`numeric(10, 2)`, `varchar(255)`, `text[]`, `timestamp with time zone`, `"My Type"`).
 */
export function typeName(type: string): string {
  if (typeof type !== 'string' || !/^[A-Za-z0-9_ ."[\](),]+$/.test(type) || type.includes('--')) {
    throw new OpArgumentError(
      typeof type === 'string'
        ? `"${type}" is not a type name`
        : `expected a type name, found ${describeValue(type)}`,
      "write a PostgreSQL type: 'bigint', 'text', 'numeric(10, 2)', 'timestamptz', 'text[]'",
    )
  }
  return type
}
