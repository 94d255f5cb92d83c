import { quoteLiteral, sqlIdent } from '../../db/quote.js'
import type { PyCall, PyValue } from './python-calls.js'
import { arg, describe, isFalse, isNone, isTrue, NotPortable, num, str } from './python-values.js'
import { SERIAL_OF, typeName, typeSql } from './sqlalchemy-types.js'

/** sa.Column keywords: those that write DDL, and those that are Python-side only (no DDL). */
const COLUMN_KEYWORDS = new Set([
  'name',
  'type_',
  'nullable',
  'primary_key',
  'server_default',
  'unique',
  'index',
  'autoincrement',
  'comment',
  // Python-side only: SQLAlchemy writes no DDL for them.
  'default',
  'onupdate',
  'server_onupdate',
  'key',
  'info',
  'doc',
  'quote',
])

export function columnDefinition(
  column: PyCall,
  tableName: string,
  serial: boolean,
  primaryKey: ReadonlySet<string> = new Set(),
): { definition: string; before: string[]; after: string[] } {
  const name = str(arg(column, 0, 'name'), column)
  const other = Object.keys(column.kwargs).find(
    (key) => !COLUMN_KEYWORDS.has(key) && !OTHER_DIALECT.test(key),
  )
  if (other !== undefined)
    throw new NotPortable(column.line, `sa.Column(${other}=...) is not one Strata ports`)
  const type = arg(column, 1, 'type_')
  const enumType = enumTypeOf(type, column)
  const before = enumType?.create === undefined ? [] : [enumType.create]
  const parts = [
    sqlIdent(name),
    enumType !== undefined
      ? enumType.name
      : serial
        ? SERIAL_OF[typeName(type, column)]!
        : typeSql(type, column),
  ]
  const inTablePrimaryKey = primaryKey.has(name)
  if (isTrue(column.kwargs.primary_key) && primaryKey.size === 0) parts.push('PRIMARY KEY')
  if (isFalse(column.kwargs.nullable) || inTablePrimaryKey) parts.push('NOT NULL')
  const serverDefault = column.kwargs.server_default
  if (serverDefault !== undefined && !isNone(serverDefault))
    parts.push(`DEFAULT ${defaultSql(serverDefault, column)}`)
  if (isTrue(column.kwargs.unique)) parts.push('UNIQUE')
  for (const extra of column.args.slice(type === column.kwargs.type_ ? 1 : 2)) {
    if (extra.kind === 'call' && /(^|\.)ForeignKey$/.test(extra.callee)) {
      const target = splitColumnReference(str(arg(extra, 0, 'column'), extra))
      parts.push(`REFERENCES ${target.table} (${target.column})${referentialActions(extra)}`)
    } else if (extra.kind === 'call' && /(^|\.)Identity$/.test(extra.callee)) {
      parts.push(identitySql(extra))
    } else if (extra.kind === 'call' && /(^|\.)Computed$/.test(extra.callee)) {
      if (isFalse(extra.kwargs.persisted))
        throw new NotPortable(
          column.line,
          'sa.Computed(persisted=False): PostgreSQL stores generated columns',
        )
      parts.push(`GENERATED ALWAYS AS (${sqlText(arg(extra, 0, 'sqltext'), extra)}) STORED`)
    } else throw new NotPortable(column.line, `sa.Column argument ${describe(extra)} is not one Strata ports`)
  }
  const after: string[] = []
  if (isTrue(column.kwargs.index))
    after.push(
      `CREATE INDEX ${sqlIdent(`ix_${tableName}_${name}`)} ON ${sqlIdent(tableName)} (${sqlIdent(name)});`,
    )
  const comment = column.kwargs.comment
  if (comment !== undefined && !isNone(comment))
    after.push(
      `COMMENT ON COLUMN ${sqlIdent(tableName)}.${sqlIdent(name)} IS ${quoteLiteral(str(comment, column))};`,
    )
  return { definition: parts.join(' '), before, after }
}

/**
 * `sa.Enum('active', 'gone', name='user_status')` (or `postgresql.ENUM`): SQLAlchemy
 * creates the type before the table or column that uses it, unless `create_type=False`
 * says it exists. Values given as a Python Enum class are code, and are not ported.
 */
function enumTypeOf(
  type: PyValue | undefined,
  column: PyCall,
): { name: string; create: string | undefined } | undefined {
  if (type?.kind !== 'call' || !/(^|\.)(Enum|ENUM)$/.test(type.callee)) return undefined
  const name = type.kwargs.name
  if (name === undefined || name.kind !== 'str')
    throw new NotPortable(column.line, `${type.callee}() needs name='...' for PostgreSQL's type`)
  const values = type.args.map((value) => {
    if (value.kind !== 'str') throw new NotPortable(column.line, `${type.callee}() values must be strings`)
    return quoteLiteral(value.value)
  })
  const typeName = sqlIdent(name.value)
  const create = isFalse(type.kwargs.create_type)
    ? undefined
    : `CREATE TYPE ${typeName} AS ENUM (${values.join(', ')});`
  return { name: typeName, create }
}

/** Keywords for other databases (mysql_engine=...): no DDL on PostgreSQL. */
export const OTHER_DIALECT = /^(mysql|mariadb|sqlite|mssql|oracle)_/

/** `sa.Identity(always=True, start=100)`: an identity column, as SQLAlchemy writes it. */
function identitySql(identity: PyCall): string {
  const options = [
    identity.kwargs.start ? `START WITH ${num(identity.kwargs.start, identity)}` : '',
    identity.kwargs.increment ? `INCREMENT BY ${num(identity.kwargs.increment, identity)}` : '',
  ].filter(Boolean)
  return `GENERATED ${isTrue(identity.kwargs.always) ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options.length > 0 ? ` (${options.join(' ')})` : ''}`
}

/** `users.id` → "users" ("id"), as sa.ForeignKey and ForeignKeyConstraint name a column. */
export function splitColumnReference(reference: string): { table: string; column: string } {
  const parts = reference.split('.')
  const column = parts.pop()!
  return { table: parts.map(sqlIdent).join('.'), column: sqlIdent(column) }
}

export function referentialActions(call: PyCall): string {
  const onDelete = call.kwargs.ondelete ? ` ON DELETE ${str(call.kwargs.ondelete, call).toUpperCase()}` : ''
  const onUpdate = call.kwargs.onupdate ? ` ON UPDATE ${str(call.kwargs.onupdate, call).toUpperCase()}` : ''
  return `${onDelete}${onUpdate}`
}

export function defaultSql(value: PyValue, call: PyCall): string {
  if (value.kind === 'str') return quoteLiteral(value.value)
  if (value.kind === 'call' && /(^|\.)text$/.test(value.callee)) return str(arg(value, 0, 'text'), value)
  if (value.kind === 'call' && /(^|\.)func\.(\w+)$/.test(value.callee) && value.args.length === 0) {
    const fn = value.callee.split('.').pop()!
    return fn === 'current_timestamp' ? 'CURRENT_TIMESTAMP' : `${fn}()`
  }
  throw new NotPortable(call.line, `server_default ${describe(value)} is not one Strata ports`)
}

/** SQL given as a string or `sa.text('...')`. */
export function sqlText(value: PyValue | undefined, call: PyCall): string {
  if (value?.kind === 'str') return value.value
  if (value?.kind === 'call' && /(^|\.)text$/.test(value.callee) && Object.keys(value.kwargs).length === 0)
    return str(arg(value, 0, 'text'), value)
  throw new NotPortable(call.line, `${call.callee}() with ${describe(value)} is not SQL Strata can read`)
}
