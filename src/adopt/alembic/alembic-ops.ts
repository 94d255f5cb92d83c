import { quoteLiteral, sqlIdent } from '../../db/quote.js'
import {
  columnDefinition,
  defaultSql,
  enumTypeSql,
  isEnumType,
  OTHER_DIALECT,
  referentialActions,
  splitColumnReference,
  sqlText,
} from './columns.js'
import {
  conventionalName,
  indexName,
  type Kind,
  type NamedObject,
  type NamingConvention,
} from './naming-convention.js'
import type { BatchTable, PyCall, PyValue } from './python-calls.js'
import { arg, isFalse, isNone, isTrue, listOf, NotPortable, str } from './python-values.js'
import { SERIAL_OF, typeName, typeSql } from './sqlalchemy-types.js'

/**
 * Alembic's `op` calls as the SQL Alembic's offline mode (`alembic upgrade --sql`) writes
 * for PostgreSQL, each statement with the line of the call that makes it: SQLAlchemy's
 * types and its rules (an integer primary key of `create_table` is SERIAL, `index=True`
 * makes `ix_<table>_<column>`). A call or an argument outside what is rendered here
 * stops the port of that migration with the reason, rather than writing SQL that would
 * differ from what Alembic ran.
 */
export function renderAlembicCallSteps(
  calls: readonly PyCall[],
  convention?: NamingConvention,
): { sql: string; line: number }[] {
  // SQLAlchemy creates a named type once for all the tables of one migration that use it.
  const typesCreated = new Set<string>()
  return calls.flatMap((statement) =>
    renderCall(statement, convention, typesCreated).map((sql) => ({ sql, line: statement.line })),
  )
}

function renderCall(
  statement: PyCall,
  convention: NamingConvention | undefined,
  typesCreated: Set<string>,
): string[] {
  if (statement.callee.startsWith('type.')) return typeMethod(statement)
  const call = statement.batch === undefined ? statement : withBatchTable(statement, statement.batch)
  const name = call.callee.slice('op.'.length)
  const render = OPERATIONS[name]
  if (render === undefined) throw new NotPortable(call.line, `${call.callee}() is not one Strata ports`)
  // A keyword the rendering does not read would be dropped silently: refused instead.
  const known = KEYWORDS[name]
  const unknown =
    known === undefined
      ? undefined
      : Object.keys(call.kwargs).find((key) => !known.includes(key) && !key.startsWith('existing_'))
  if (unknown !== undefined)
    throw new NotPortable(call.line, `${call.callee}(${unknown}=...) is not one Strata ports`)
  const rendered = render(call, convention)
  if (name !== 'create_table') return rendered
  return rendered.filter((sql) => {
    const created = CREATE_TYPE.exec(sql)?.[1]
    if (created === undefined) return true
    if (typesCreated.has(created)) return false
    typesCreated.add(created)
    return true
  })
}

const CREATE_TYPE = /^CREATE TYPE (\S+) AS ENUM/

/**
 * Where each batch operation's `op.*` counterpart takes the table the batch block names:
 * its position and keyword (`batch_op.create_index('ix', ['a'])` is
 * `op.create_index('ix', 't', ['a'])`).
 */
const BATCH_TABLE_ARGUMENT: Readonly<Record<string, readonly [number, string]>> = {
  add_column: [0, 'table_name'],
  drop_column: [0, 'table_name'],
  alter_column: [0, 'table_name'],
  create_table_comment: [0, 'table_name'],
  drop_table_comment: [0, 'table_name'],
  create_index: [1, 'table_name'],
  drop_index: [1, 'table_name'],
  create_foreign_key: [1, 'source_table'],
  create_unique_constraint: [1, 'table_name'],
  create_check_constraint: [1, 'table_name'],
  create_primary_key: [1, 'table_name'],
  drop_constraint: [1, 'table_name'],
}

/** A statement of a `with op.batch_alter_table(...)` block as the `op.*` call it is on PostgreSQL. */
function withBatchTable(call: PyCall, batch: BatchTable): PyCall {
  const name = call.callee.slice('op.'.length)
  const place = BATCH_TABLE_ARGUMENT[name]
  if (place === undefined) throw new NotPortable(call.line, `batch_op.${name}() is not one Strata ports`)
  const [position, keyword] = place
  const schemaKeyword = name === 'create_foreign_key' ? 'source_schema' : 'schema'
  const kwargs = { ...call.kwargs }
  if (batch.schema !== undefined && !isNone(batch.schema)) kwargs[schemaKeyword] = batch.schema
  if (call.args.length >= position) {
    const args = [...call.args]
    args.splice(position, 0, batch.table)
    return { ...call, args, kwargs }
  }
  return { ...call, kwargs: { ...kwargs, [keyword]: batch.table } }
}

/**
 * `sa.Enum(..., name='t').create(op.get_bind(), checkfirst=True)` and `.drop(...)`: the
 * type's DDL. With `checkfirst`, SQLAlchemy looks in pg_type first and does nothing when
 * the type is there (or, dropping, is not): the same as `IF EXISTS`, and for CREATE, which
 * has no `IF NOT EXISTS`, a block that ignores `duplicate_object`.
 */
function typeMethod(call: PyCall): string[] {
  const [type, bind] = call.args
  const method = call.callee.slice('type.'.length)
  if (bind?.kind !== 'call' || bind.callee !== 'op.get_bind' || bind.args.length > 0)
    throw new NotPortable(call.line, `.${method}() of a type is ported only as .${method}(op.get_bind())`)
  const other = Object.keys(call.kwargs).find((key) => key !== 'checkfirst')
  if (other !== undefined)
    throw new NotPortable(call.line, `.${method}(${other}=...) is not one Strata ports`)
  const checkFirst = isTrue(call.kwargs.checkfirst)
  const enumType = enumTypeSql(type as PyCall, call, method === 'create')
  if (method === 'drop') return [`DROP TYPE ${checkFirst ? 'IF EXISTS ' : ''}${enumType.name};`]
  const create = enumType.create
  return [checkFirst ? `DO $$ BEGIN ${create} EXCEPTION WHEN duplicate_object THEN NULL; END $$;` : create]
}

/** The keywords each operation's rendering reads (create_table and alter_column check their own). */
const KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  execute: ['sqltext'],
  drop_table: ['table_name', 'schema', 'if_exists'],
  rename_table: ['old_table_name', 'new_table_name', 'schema'],
  add_column: ['table_name', 'column', 'schema', 'if_not_exists'],
  drop_column: ['table_name', 'column_name', 'schema', 'if_exists'],
  create_index: [
    'index_name',
    'table_name',
    'columns',
    'schema',
    'unique',
    'if_not_exists',
    'postgresql_concurrently',
    'postgresql_where',
    'postgresql_using',
    'postgresql_include',
    'postgresql_ops',
  ],
  drop_index: ['index_name', 'table_name', 'schema', 'if_exists', 'postgresql_concurrently'],
  create_foreign_key: [
    'constraint_name',
    'source_table',
    'referent_table',
    'local_cols',
    'remote_cols',
    'ondelete',
    'onupdate',
    'deferrable',
    'initially',
    'source_schema',
    'referent_schema',
    'match',
  ],
  create_unique_constraint: ['constraint_name', 'table_name', 'columns', 'schema', 'deferrable', 'initially'],
  create_primary_key: ['constraint_name', 'table_name', 'columns', 'schema'],
  create_check_constraint: ['constraint_name', 'table_name', 'condition', 'schema'],
  drop_constraint: ['constraint_name', 'table_name', 'type_', 'schema', 'if_exists'],
  bulk_insert: ['table', 'rows', 'multiinsert'],
  create_table_comment: ['table_name', 'comment', 'schema'],
  drop_table_comment: ['table_name', 'schema'],
}

const ifExists = (call: PyCall) => (isTrue(call.kwargs.if_exists) ? 'IF EXISTS ' : '')
const ifNotExists = (call: PyCall) => (isTrue(call.kwargs.if_not_exists) ? 'IF NOT EXISTS ' : '')

/** `DEFERRABLE INITIALLY DEFERRED`, as a constraint's keywords say. */
function deferrable(call: PyCall): string {
  const value = call.kwargs.deferrable
  const initially = call.kwargs.initially
  return `${value === undefined || isNone(value) ? '' : isTrue(value) ? ' DEFERRABLE' : ' NOT DEFERRABLE'}${initially === undefined || isNone(initially) ? '' : ` INITIALLY ${str(initially, call).toUpperCase()}`}`
}

/** `match='FULL'`: the foreign key's MATCH, written before its actions as SQLAlchemy does. */
function matchType(call: PyCall): string {
  const match = call.kwargs.match
  return match === undefined || isNone(match) ? '' : ` MATCH ${str(match, call).toUpperCase()}`
}

type Render = (call: PyCall, convention: NamingConvention | undefined) => string[]

const OPERATIONS: Readonly<Record<string, Render>> = {
  execute: (call) => [
    `${sqlText(arg(call, 0, 'sqltext'), call)
      .trim()
      .replace(/;\s*$/, '')};`,
  ],
  create_table: createTable,
  bulk_insert: bulkInsert,
  create_table_comment: (call) => [
    `COMMENT ON TABLE ${table(call, 0, 'table_name')} IS ${quoteLiteral(str(arg(call, 1, 'comment'), call))};`,
  ],
  drop_table_comment: (call) => [`COMMENT ON TABLE ${table(call, 0, 'table_name')} IS NULL;`],
  drop_table: (call) => [`DROP TABLE ${ifExists(call)}${table(call, 0, 'table_name')};`],
  rename_table: (call) => [
    `ALTER TABLE ${table(call, 0, 'old_table_name')} RENAME TO ${sqlIdent(str(arg(call, 1, 'new_table_name'), call))};`,
  ],
  add_column: (call, convention) => {
    const column = arg(call, 1, 'column')
    if (column?.kind !== 'call' || !/(^|\.)Column$/.test(column.callee))
      throw new NotPortable(call.line, 'add_column takes an sa.Column(...)')
    // Alembic's add_column creates no enum type: an sa.Enum column's type must exist.
    const { definition, after, constraints } = columnDefinition(column, {
      tableName: str(arg(call, 0, 'table_name'), call),
      serial: false,
      primaryKey: new Set(),
      createsTypes: false,
      convention,
    })
    return [
      `ALTER TABLE ${table(call, 0, 'table_name')} ADD COLUMN ${ifNotExists(call)}${definition};`,
      ...constraints.map((constraint) => `ALTER TABLE ${table(call, 0, 'table_name')} ADD ${constraint};`),
      ...after,
    ]
  },
  drop_column: (call) => [
    `ALTER TABLE ${table(call, 0, 'table_name')} DROP COLUMN ${ifExists(call)}${sqlIdent(str(arg(call, 1, 'column_name'), call))};`,
  ],
  alter_column: alterColumn,
  create_index: (call, convention) => {
    const unique = isTrue(call.kwargs.unique) ? 'UNIQUE ' : ''
    const concurrently = isTrue(call.kwargs.postgresql_concurrently) ? 'CONCURRENTLY ' : ''
    const where = call.kwargs.postgresql_where
    const using = call.kwargs.postgresql_using
    // postgresql_ops={'name': 'gin_trgm_ops'}: a column's operator class.
    const ops = call.kwargs.postgresql_ops
    if (ops !== undefined && ops.kind !== 'dict')
      throw new NotPortable(call.line, 'postgresql_ops must be a dict of column names to operator classes')
    const opClasses = ops?.kind === 'dict' ? ops.entries : {}
    const columnNames = new Set<string>()
    const columns = listOf(arg(call, 2, 'columns'), call).map((column) => {
      if (column.kind !== 'str') return sqlText(column, call)
      columnNames.add(column.value)
      const opClass = opClasses[column.value]
      return opClass === undefined
        ? sqlIdent(column.value)
        : `${sqlIdent(column.value)} ${str(opClass, call)}`
    })
    const unknownOps = Object.keys(opClasses).find((column) => !columnNames.has(column))
    if (unknownOps !== undefined)
      throw new NotPortable(call.line, `postgresql_ops names ${unknownOps}, not a column of the index`)
    const include = call.kwargs.postgresql_include
    const included =
      include === undefined
        ? ''
        : ` INCLUDE (${listOf(include, call)
            .map((column) => sqlIdent(str(column, call)))
            .join(', ')})`
    return [
      `CREATE ${unique}INDEX ${concurrently}${ifNotExists(call)}${sqlIdent(indexName(convention, arg(call, 0, 'index_name'), { table: str(arg(call, 1, 'table_name'), call), columns: [...columnNames] }, call))} ON ${table(call, 1, 'table_name')}${using ? ` USING ${str(using, call)}` : ''} (${columns.join(', ')})${included}${where ? ` WHERE ${sqlText(where, call)}` : ''};`,
    ]
  },
  drop_index: (call) => {
    const concurrently = isTrue(call.kwargs.postgresql_concurrently) ? 'CONCURRENTLY ' : ''
    const schema = call.kwargs.schema
    const name = sqlIdent(str(arg(call, 0, 'index_name'), call))
    return [
      `DROP INDEX ${concurrently}${ifExists(call)}${schema ? `${sqlIdent(str(schema, call))}.` : ''}${name};`,
    ]
  },
  create_foreign_key: (call, convention) => {
    const localNames = listOf(arg(call, 3, 'local_cols'), call).map((column) => str(column, call))
    const remoteNames = listOf(arg(call, 4, 'remote_cols'), call).map((column) => str(column, call))
    const local = localNames.map(sqlIdent)
    const remote = remoteNames.map(sqlIdent)
    const referent = qualified(str(arg(call, 2, 'referent_table'), call), call.kwargs.referent_schema, call)
    const name = conventionalName(
      convention,
      'fk',
      arg(call, 0, 'constraint_name'),
      {
        table: str(arg(call, 1, 'source_table'), call),
        columns: localNames,
        referredTable: str(arg(call, 2, 'referent_table'), call),
        referredColumns: remoteNames,
      },
      call,
    )
    return [
      `ALTER TABLE ${qualified(str(arg(call, 1, 'source_table'), call), call.kwargs.source_schema, call)} ADD ${constraintClause(name)}FOREIGN KEY (${local.join(', ')}) REFERENCES ${referent} (${remote.join(', ')})${matchType(call)}${referentialActions(call)}${deferrable(call)};`,
    ]
  },
  create_unique_constraint: (call, convention) => addKeyConstraint(call, convention, 'uq', 'UNIQUE'),
  create_primary_key: (call, convention) => addKeyConstraint(call, convention, 'pk', 'PRIMARY KEY'),
  create_check_constraint: (call, convention) => {
    const name = conventionalName(
      convention,
      'ck',
      arg(call, 0, 'constraint_name'),
      { table: str(arg(call, 1, 'table_name'), call) },
      call,
    )
    return [
      `ALTER TABLE ${table(call, 1, 'table_name')} ADD ${constraintClause(name)}CHECK (${sqlText(arg(call, 2, 'condition'), call)});`,
    ]
  },
  drop_constraint: (call, convention) => {
    // A check's name goes through the convention as when it was made (`ck_<table>_<name>`).
    const kind = CONSTRAINT_KINDS[call.kwargs.type_?.kind === 'str' ? call.kwargs.type_.value : '']
    const given = arg(call, 0, 'constraint_name')
    const name =
      kind === undefined
        ? str(given, call)
        : conventionalName(convention, kind, given, { table: str(arg(call, 1, 'table_name'), call) }, call)
    return [
      `ALTER TABLE ${table(call, 1, 'table_name')} DROP CONSTRAINT ${ifExists(call)}${sqlIdent(name ?? str(given, call))};`,
    ]
  },
}

/** drop_constraint's `type_` as a naming convention's key. */
const CONSTRAINT_KINDS: Readonly<Record<string, Kind>> = {
  primary: 'pk',
  unique: 'uq',
  check: 'ck',
  foreignkey: 'fk',
}

/** `CONSTRAINT name ` before a constraint's definition; nothing when PostgreSQL names it. */
function constraintClause(name: string | undefined): string {
  return name === undefined ? '' : `CONSTRAINT ${sqlIdent(name)} `
}

/** `op.create_unique_constraint` or `op.create_primary_key`: a named key on columns of a table. */
function addKeyConstraint(
  call: PyCall,
  convention: NamingConvention | undefined,
  kind: 'uq' | 'pk',
  keyword: string,
): string[] {
  const columns = listOf(arg(call, 2, 'columns'), call).map((column) => str(column, call))
  const name = conventionalName(
    convention,
    kind,
    arg(call, 0, 'constraint_name'),
    { table: str(arg(call, 1, 'table_name'), call), columns },
    call,
  )
  // A primary key takes no DEFERRABLE: its keywords are refused before it gets here.
  return [
    `ALTER TABLE ${table(call, 1, 'table_name')} ADD ${constraintClause(name)}${keyword} (${columns.map(sqlIdent).join(', ')})${deferrable(call)};`,
  ]
}

function createTable(call: PyCall, convention: NamingConvention | undefined): string[] {
  const name = str(arg(call, 0, 'table_name'), call)
  const items = call.args.slice(1)
  const columns = items.filter(
    (item): item is PyCall => item.kind === 'call' && /(^|\.)Column$/.test(item.callee),
  )
  const constraints = items.filter((item) => !columns.includes(item as PyCall))
  const primaryKey = new Set<string>()
  for (const column of columns)
    if (isTrue(column.kwargs.primary_key)) primaryKey.add(str(arg(column, 0, 'name'), column))
  for (const constraint of constraints)
    if (constraint.kind === 'call' && /(^|\.)PrimaryKeyConstraint$/.test(constraint.callee))
      for (const column of constraint.args) primaryKey.add(str(column, constraint))
  // SQLAlchemy makes a lone integer primary key SERIAL (autoincrement="auto").
  const serial =
    primaryKey.size === 1
      ? columns.find(
          (column) =>
            primaryKey.has(str(arg(column, 0, 'name'), column)) &&
            SERIAL_OF[typeName(arg(column, 1, 'type_'), column)] !== undefined &&
            // autoincrement=True makes it SERIAL even with a server default (which
            // SQLAlchemy then leaves out: reflected `nextval(...)` of autogenerate).
            (column.kwargs.server_default === undefined || isTrue(column.kwargs.autoincrement)) &&
            !isFalse(column.kwargs.autoincrement) &&
            !column.args.some(
              (extra) =>
                extra.kind === 'call' && /(^|\.)(ForeignKey|Identity|Computed|Sequence)$/.test(extra.callee),
            ),
        )
      : undefined
  const lines: string[] = []
  const types: string[] = []
  const indexes: string[] = []
  const columnConstraints: string[] = []
  for (const column of columns) {
    const { definition, before, after, constraints } = columnDefinition(column, {
      tableName: name,
      serial: column === serial,
      primaryKey,
      createsTypes: true,
      convention,
    })
    lines.push(definition)
    types.push(...before)
    indexes.push(...after)
    columnConstraints.push(...constraints)
  }
  // `primary_key=True` on columns: one table constraint, as SQLAlchemy writes it.
  const declared = columns.filter((column) => isTrue(column.kwargs.primary_key))
  const hasConstraint = constraints.some(
    (constraint) => constraint.kind === 'call' && /(^|\.)PrimaryKeyConstraint$/.test(constraint.callee),
  )
  if (declared.length > 0 && !hasConstraint) {
    const keyColumns = declared.map((column) => str(arg(column, 0, 'name'), column))
    const keyName = conventionalName(convention, 'pk', undefined, { table: name, columns: keyColumns }, call)
    lines.push(`${constraintClause(keyName)}PRIMARY KEY (${keyColumns.map(sqlIdent).join(', ')})`)
  }
  for (const constraint of constraints) lines.push(tableConstraint(constraint, call, name, convention))
  lines.push(...columnConstraints)
  const other = Object.keys(call.kwargs).find(
    (key) =>
      !['table_name', 'schema', 'comment', 'postgresql_partition_by', 'info'].includes(key) &&
      !OTHER_DIALECT.test(key),
  )
  if (other !== undefined)
    throw new NotPortable(call.line, `create_table(${other}=...) is not one Strata ports`)
  const partitionBy = call.kwargs.postgresql_partition_by
  const comment = call.kwargs.comment
  return [
    ...types,
    `CREATE TABLE ${table(call, 0, 'table_name')} (\n    ${lines.join(',\n    ')}\n)${partitionBy ? ` PARTITION BY ${str(partitionBy, call)}` : ''};`,
    ...(comment && !isNone(comment)
      ? [`COMMENT ON TABLE ${table(call, 0, 'table_name')} IS ${quoteLiteral(str(comment, call))};`]
      : []),
    ...indexes,
  ]
}

/**
 * `op.bulk_insert(sa.table('roles', sa.column('name', sa.String)), [{'name': 'admin'}])`:
 * one INSERT of literal rows, the columns in the order the table() names them. A value
 * other than a string, number, boolean or None is code (a datetime, a variable).
 */
function bulkInsert(call: PyCall): string[] {
  const target = arg(call, 0, 'table')
  if (target?.kind !== 'call' || !/(^|\.)table$/.test(target.callee))
    throw new NotPortable(call.line, 'bulk_insert takes an sa.table(...)')
  const tableName = qualified(str(arg(target, 0, 'name'), target), target.kwargs.schema, call)
  const columns = target.args.slice(1).map((column) => {
    if (column.kind !== 'call' || !/(^|\.)column$/.test(column.callee))
      throw new NotPortable(call.line, 'sa.table(...) takes sa.column(...)s')
    return str(arg(column, 0, 'text'), column)
  })
  const rows = listOf(arg(call, 1, 'rows'), call)
  if (rows.length === 0) return []
  const values = rows.map((row) => {
    if (row.kind !== 'dict') throw new NotPortable(call.line, 'bulk_insert rows must be dicts')
    return `(${columns.map((column) => literalSql(row.entries[column], call)).join(', ')})`
  })
  return [
    `INSERT INTO ${tableName} (${columns.map(sqlIdent).join(', ')}) VALUES\n    ${values.join(',\n    ')};`,
  ]
}

function literalSql(value: PyValue | undefined, call: PyCall): string {
  if (value === undefined || isNone(value)) return 'NULL'
  if (value.kind === 'str') return quoteLiteral(value.value)
  if (value.kind === 'num') return value.value
  if (isTrue(value)) return 'true'
  if (isFalse(value)) return 'false'
  throw new NotPortable(
    call.line,
    `bulk_insert value ${value.kind === 'call' ? `${value.callee}(...)` : value.kind} is not a literal Strata ports`,
  )
}

function tableConstraint(
  value: PyValue,
  call: PyCall,
  table: string,
  convention: NamingConvention | undefined,
): string {
  if (value.kind !== 'call') throw new NotPortable(call.line, 'create_table takes columns and constraints')
  const columnNames = () => value.args.map((column) => str(column, value))
  const named = (kind: Kind, object: Omit<NamedObject, 'table'>) =>
    constraintClause(conventionalName(convention, kind, value.kwargs.name, { table, ...object }, value))
  if (/(^|\.)PrimaryKeyConstraint$/.test(value.callee))
    return `${named('pk', { columns: columnNames() })}PRIMARY KEY (${columnNames().map(sqlIdent).join(', ')})`
  if (/(^|\.)UniqueConstraint$/.test(value.callee))
    return `${named('uq', { columns: columnNames() })}UNIQUE (${columnNames().map(sqlIdent).join(', ')})`
  if (/(^|\.)CheckConstraint$/.test(value.callee))
    return `${named('ck', {})}CHECK (${sqlText(arg(value, 0, 'sqltext'), value)})`
  if (/(^|\.)ForeignKeyConstraint$/.test(value.callee)) {
    const local = listOf(arg(value, 0, 'columns'), value).map((column) => str(column, value))
    const remote = listOf(arg(value, 1, 'refcolumns'), value).map((column) => str(column, value))
    const referenced = remote.map(splitColumnReference)
    const referredTable = remote[0]!.split('.').at(-2)!
    const name = named('fk', {
      columns: local,
      referredTable,
      referredColumns: remote.map((reference) => reference.split('.').at(-1)!),
    })
    return `${name}FOREIGN KEY (${local.map(sqlIdent).join(', ')}) REFERENCES ${referenced[0]!.table} (${referenced.map((r) => r.column).join(', ')})${referentialActions(value)}`
  }
  throw new NotPortable(value.line, `${value.callee}() in create_table is not one Strata ports`)
}

function alterColumn(call: PyCall): string[] {
  const target = table(call, 0, 'table_name')
  let column = sqlIdent(str(arg(call, 1, 'column_name'), call))
  const statements: string[] = []
  const { kwargs } = call
  if (kwargs.type_ !== undefined) {
    const using = kwargs.postgresql_using ? ` USING ${sqlText(kwargs.postgresql_using, call)}` : ''
    // To an enum: the type by name; Alembic creates none here (the migration does, or it exists).
    const type = isEnumType(kwargs.type_)
      ? enumTypeSql(kwargs.type_, call, false).name
      : typeSql(kwargs.type_, call)
    statements.push(`ALTER TABLE ${target} ALTER COLUMN ${column} TYPE ${type}${using};`)
  }
  if (kwargs.nullable !== undefined)
    statements.push(
      `ALTER TABLE ${target} ALTER COLUMN ${column} ${isFalse(kwargs.nullable) ? 'SET' : 'DROP'} NOT NULL;`,
    )
  if (kwargs.server_default !== undefined)
    statements.push(
      isNone(kwargs.server_default)
        ? `ALTER TABLE ${target} ALTER COLUMN ${column} DROP DEFAULT;`
        : `ALTER TABLE ${target} ALTER COLUMN ${column} SET DEFAULT ${defaultSql(kwargs.server_default, call)};`,
    )
  if (kwargs.new_column_name !== undefined) {
    const renamed = sqlIdent(str(kwargs.new_column_name, call))
    statements.push(`ALTER TABLE ${target} RENAME COLUMN ${column} TO ${renamed};`)
    column = renamed
  }
  if (kwargs.comment !== undefined)
    statements.push(
      `COMMENT ON COLUMN ${target}.${column} IS ${isNone(kwargs.comment) ? 'NULL' : quoteLiteral(str(kwargs.comment, call))};`,
    )
  const known = new Set([
    'table_name',
    'column_name',
    'comment',
    'type_',
    'nullable',
    'server_default',
    'new_column_name',
    'postgresql_using',
    'schema',
  ])
  const other = Object.keys(kwargs).find((key) => !known.has(key) && !key.startsWith('existing_'))
  if (other !== undefined)
    throw new NotPortable(call.line, `alter_column(${other}=...) is not one Strata ports`)
  return statements
}

function table(call: PyCall, position: number, keyword: string): string {
  return qualified(str(arg(call, position, keyword), call), call.kwargs.schema, call)
}

function qualified(name: string, schema: PyValue | undefined, call: PyCall): string {
  return schema && !isNone(schema) ? `${sqlIdent(str(schema, call))}.${sqlIdent(name)}` : sqlIdent(name)
}
