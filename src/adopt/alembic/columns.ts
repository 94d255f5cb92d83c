import { quoteLiteral, sqlIdent } from '../../db/quote.js'
import { conventionalName, indexName, type NamingConvention } from './naming-convention.js'
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

/** Where a column is defined: in `create_table` (with its table's key) or `add_column`. */
export interface ColumnContext {
  readonly tableName: string
  /** A lone integer primary key of create_table: SERIAL. */
  readonly serial: boolean
  readonly primaryKey: ReadonlySet<string>
  /**
   * Whether an enum type of the column is created first: by create_table, as SQLAlchemy's
   * table events do; never by add_column, which in Alembic creates no type (the
   * migration creates it with `sa.Enum(...).create(op.get_bind())`, or it exists).
   */
  readonly createsTypes: boolean
  /** The project's naming_convention, which names its unique constraint, foreign key and index. */
  readonly convention?: NamingConvention | undefined
}

export function columnDefinition(
  column: PyCall,
  { tableName, serial, primaryKey, createsTypes, convention }: ColumnContext,
): { definition: string; before: string[]; after: string[]; constraints: string[] } {
  const name = str(arg(column, 0, 'name'), column)
  const other = Object.keys(column.kwargs).find(
    (key) => !COLUMN_KEYWORDS.has(key) && !OTHER_DIALECT.test(key),
  )
  if (other !== undefined)
    throw new NotPortable(column.line, `sa.Column(${other}=...) is not one Strata ports`)
  const type = arg(column, 1, 'type_')
  const createsType = isEnumType(type) && createsTypes && !createTypeOff(type)
  const enumType = isEnumType(type) ? enumTypeSql(type, column, createsType) : undefined
  const before = enumType !== undefined && createsType ? [enumType.create] : []
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
  if (serverDefault !== undefined && !isNone(serverDefault) && !serial)
    parts.push(`DEFAULT ${defaultSql(serverDefault, column)}`)
  // unique=True with index=True is one unique index, not a constraint as well.
  const uniqueIndex = isTrue(column.kwargs.unique) && isTrue(column.kwargs.index)
  // A constraint with a name (the convention's, or its own) is written as the table's,
  // named; without one, inline, and PostgreSQL names it as SQLAlchemy's DDL lets it.
  const constraints: string[] = []
  if (isTrue(column.kwargs.unique) && !uniqueIndex) {
    const unique = conventionalName(
      convention,
      'uq',
      undefined,
      { table: tableName, columns: [name] },
      column,
    )
    if (unique === undefined) parts.push('UNIQUE')
    else constraints.push(`CONSTRAINT ${sqlIdent(unique)} UNIQUE (${sqlIdent(name)})`)
  }
  for (const extra of column.args.slice(type === column.kwargs.type_ ? 1 : 2)) {
    if (extra.kind === 'call' && /(^|\.)ForeignKey$/.test(extra.callee)) {
      const reference = str(arg(extra, 0, 'column'), extra)
      const target = splitColumnReference(reference)
      const referred = reference.split('.')
      const foreignKey = conventionalName(
        convention,
        'fk',
        extra.kwargs.name,
        {
          table: tableName,
          columns: [name],
          referredTable: referred.at(-2)!,
          referredColumns: [referred.at(-1)!],
        },
        extra,
      )
      const references = `REFERENCES ${target.table} (${target.column})${referentialActions(extra)}`
      if (foreignKey === undefined) parts.push(references)
      else
        constraints.push(`CONSTRAINT ${sqlIdent(foreignKey)} FOREIGN KEY (${sqlIdent(name)}) ${references}`)
    } else if (extra.kind === 'call' && /(^|\.)Sequence$/.test(extra.callee)) {
      // Alembic's create_table and add_column create no sequence: SQLAlchemy uses it from
      // Python, and the column is a plain integer (no SERIAL, no default) in the DDL.
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
  if (isTrue(column.kwargs.index)) {
    const index = indexName(convention, undefined, { table: tableName, columns: [name] }, column)
    after.push(
      `CREATE ${uniqueIndex ? 'UNIQUE ' : ''}INDEX ${sqlIdent(index)} ON ${sqlIdent(tableName)} (${sqlIdent(name)});`,
    )
  }
  const comment = column.kwargs.comment
  if (comment !== undefined && !isNone(comment))
    after.push(
      `COMMENT ON COLUMN ${sqlIdent(tableName)}.${sqlIdent(name)} IS ${quoteLiteral(str(comment, column))};`,
    )
  return { definition: parts.join(' '), before, after, constraints }
}

const ENUM_TYPE = /(^|\.)(Enum|ENUM)$/

/** `sa.Enum(...)` or `postgresql.ENUM(...)`: a named PostgreSQL type, not a built-in one. */
export function isEnumType(value: PyValue | undefined): value is PyCall {
  return value?.kind === 'call' && ENUM_TYPE.test(value.callee)
}

/** postgresql.ENUM(create_type=False) says the type exists; sa.Enum has no such keyword. */
const createTypeOff = (type: PyCall) => /(^|\.)ENUM$/.test(type.callee) && isFalse(type.kwargs.create_type)

/**
 * `sa.Enum('active', 'gone', name='user_status')` or `postgresql.ENUM(...)`: the type's
 * name and its CREATE TYPE. Values given as a Python Enum class are code, and are not
 * ported; a type only named (dropped, or used by a column) needs none (`needsValues`).
 */
export function enumTypeSql(
  type: PyCall,
  call: PyCall,
  needsValues: boolean,
): { name: string; create: string } {
  const name = type.kwargs.name
  if (name === undefined || name.kind !== 'str')
    throw new NotPortable(call.line, `${type.callee}() needs name='...' for PostgreSQL's type`)
  const values = type.args.map((value) => {
    if (value.kind !== 'str') throw new NotPortable(call.line, `${type.callee}() values must be strings`)
    return quoteLiteral(value.value)
  })
  if (needsValues && values.length === 0)
    throw new NotPortable(call.line, `${type.callee}() needs its values to create the type`)
  const typeName = sqlIdent(name.value)
  return { name: typeName, create: `CREATE TYPE ${typeName} AS ENUM (${values.join(', ')});` }
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
  if (value.kind === 'call' && /(^|\.)(text|literal_column)$/.test(value.callee))
    return str(arg(value, 0, 'text'), value)
  // sa.true() and sa.false(): PostgreSQL's boolean literals.
  if (value.kind === 'call' && /(^|\.)(true|false)$/.test(value.callee) && value.args.length === 0)
    return value.callee.split('.').pop()!
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
