import { quoteLiteral, sqlIdent } from '../../db/quote.js'
import type { PyCall, PyValue } from './python-calls.js'

/**
 * Alembic's `op` calls as the SQL Alembic's offline mode (`alembic upgrade --sql`) writes
 * for PostgreSQL: SQLAlchemy's types and its rules (an integer primary key of
 * `create_table` is SERIAL, `index=True` makes `ix_<table>_<column>`). A call or an
 * argument outside what is rendered here stops the port of that migration with the
 * reason, rather than writing SQL that would differ from what Alembic ran.
 */
export function renderAlembicCalls(calls: readonly PyCall[]): string[] {
  return calls.flatMap((call) => {
    const render = OPERATIONS[call.callee.slice('op.'.length)]
    if (render === undefined) throw new NotPortable(call.line, `${call.callee}() is not one Strata ports`)
    return render(call)
  })
}

/** Why a migration cannot be ported automatically, and where. */
export class NotPortable extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason)
  }
}

type Render = (call: PyCall) => string[]

const OPERATIONS: Readonly<Record<string, Render>> = {
  execute: (call) => [
    `${sqlText(arg(call, 0, 'sqltext'), call)
      .trim()
      .replace(/;\s*$/, '')};`,
  ],
  create_table: createTable,
  drop_table: (call) => [`DROP TABLE ${table(call, 0, 'table_name')};`],
  rename_table: (call) => [
    `ALTER TABLE ${table(call, 0, 'old_table_name')} RENAME TO ${sqlIdent(str(arg(call, 1, 'new_table_name'), call))};`,
  ],
  add_column: (call) => {
    const column = arg(call, 1, 'column')
    if (column?.kind !== 'call' || !/(^|\.)Column$/.test(column.callee))
      throw new NotPortable(call.line, 'add_column takes an sa.Column(...)')
    const { definition, after } = columnDefinition(column, str(arg(call, 0, 'table_name'), call), false)
    return [`ALTER TABLE ${table(call, 0, 'table_name')} ADD COLUMN ${definition};`, ...after]
  },
  drop_column: (call) => [
    `ALTER TABLE ${table(call, 0, 'table_name')} DROP COLUMN ${sqlIdent(str(arg(call, 1, 'column_name'), call))};`,
  ],
  alter_column: alterColumn,
  create_index: (call) => {
    const unique = isTrue(call.kwargs.unique) ? 'UNIQUE ' : ''
    const concurrently = isTrue(call.kwargs.postgresql_concurrently) ? 'CONCURRENTLY ' : ''
    const where = call.kwargs.postgresql_where
    const using = call.kwargs.postgresql_using
    const columns = listOf(arg(call, 2, 'columns'), call).map((column) =>
      column.kind === 'str' ? sqlIdent(column.value) : sqlText(column, call),
    )
    return [
      `CREATE ${unique}INDEX ${concurrently}${sqlIdent(str(arg(call, 0, 'index_name'), call))} ON ${table(call, 1, 'table_name')}${using ? ` USING ${str(using, call)}` : ''} (${columns.join(', ')})${where ? ` WHERE ${sqlText(where, call)}` : ''};`,
    ]
  },
  drop_index: (call) => {
    const concurrently = isTrue(call.kwargs.postgresql_concurrently) ? 'CONCURRENTLY ' : ''
    const schema = call.kwargs.schema
    const name = sqlIdent(str(arg(call, 0, 'index_name'), call))
    return [`DROP INDEX ${concurrently}${schema ? `${sqlIdent(str(schema, call))}.` : ''}${name};`]
  },
  create_foreign_key: (call) => {
    const local = listOf(arg(call, 3, 'local_cols'), call).map((column) => sqlIdent(str(column, call)))
    const remote = listOf(arg(call, 4, 'remote_cols'), call).map((column) => sqlIdent(str(column, call)))
    const referent = qualified(str(arg(call, 2, 'referent_table'), call), call.kwargs.referent_schema, call)
    return [
      `ALTER TABLE ${qualified(str(arg(call, 1, 'source_table'), call), call.kwargs.source_schema, call)} ADD CONSTRAINT ${sqlIdent(str(arg(call, 0, 'constraint_name'), call))} FOREIGN KEY (${local.join(', ')}) REFERENCES ${referent} (${remote.join(', ')})${referentialActions(call)};`,
    ]
  },
  create_unique_constraint: (call) => [
    `ALTER TABLE ${table(call, 1, 'table_name')} ADD CONSTRAINT ${sqlIdent(str(arg(call, 0, 'constraint_name'), call))} UNIQUE (${listOf(
      arg(call, 2, 'columns'),
      call,
    )
      .map((column) => sqlIdent(str(column, call)))
      .join(', ')});`,
  ],
  create_primary_key: (call) => [
    `ALTER TABLE ${table(call, 1, 'table_name')} ADD CONSTRAINT ${sqlIdent(str(arg(call, 0, 'constraint_name'), call))} PRIMARY KEY (${listOf(
      arg(call, 2, 'columns'),
      call,
    )
      .map((column) => sqlIdent(str(column, call)))
      .join(', ')});`,
  ],
  create_check_constraint: (call) => [
    `ALTER TABLE ${table(call, 1, 'table_name')} ADD CONSTRAINT ${sqlIdent(str(arg(call, 0, 'constraint_name'), call))} CHECK (${sqlText(arg(call, 2, 'condition'), call)});`,
  ],
  drop_constraint: (call) => [
    `ALTER TABLE ${table(call, 1, 'table_name')} DROP CONSTRAINT ${sqlIdent(str(arg(call, 0, 'constraint_name'), call))};`,
  ],
}

function createTable(call: PyCall): string[] {
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
            column.kwargs.server_default === undefined &&
            !isFalse(column.kwargs.autoincrement) &&
            !column.args.some(
              (extra) => extra.kind === 'call' && /(^|\.)(ForeignKey|Identity|Computed)$/.test(extra.callee),
            ),
        )
      : undefined
  const lines: string[] = []
  const indexes: string[] = []
  for (const column of columns) {
    const { definition, after } = columnDefinition(column, name, column === serial, primaryKey)
    lines.push(definition)
    indexes.push(...after)
  }
  // `primary_key=True` on columns: one table constraint, as SQLAlchemy writes it.
  const declared = columns.filter((column) => isTrue(column.kwargs.primary_key))
  const hasConstraint = constraints.some(
    (constraint) => constraint.kind === 'call' && /(^|\.)PrimaryKeyConstraint$/.test(constraint.callee),
  )
  if (declared.length > 0 && !hasConstraint)
    lines.push(
      `PRIMARY KEY (${declared.map((column) => sqlIdent(str(arg(column, 0, 'name'), column))).join(', ')})`,
    )
  for (const constraint of constraints) lines.push(tableConstraint(constraint, call))
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
    `CREATE TABLE ${table(call, 0, 'table_name')} (\n    ${lines.join(',\n    ')}\n)${partitionBy ? ` PARTITION BY ${str(partitionBy, call)}` : ''};`,
    ...(comment && !isNone(comment)
      ? [`COMMENT ON TABLE ${table(call, 0, 'table_name')} IS ${quoteLiteral(str(comment, call))};`]
      : []),
    ...indexes,
  ]
}

function tableConstraint(value: PyValue, call: PyCall): string {
  if (value.kind !== 'call') throw new NotPortable(call.line, 'create_table takes columns and constraints')
  const name = value.kwargs.name ? `CONSTRAINT ${sqlIdent(str(value.kwargs.name, value))} ` : ''
  const columns = () => value.args.map((column) => sqlIdent(str(column, value))).join(', ')
  if (/(^|\.)PrimaryKeyConstraint$/.test(value.callee)) return `${name}PRIMARY KEY (${columns()})`
  if (/(^|\.)UniqueConstraint$/.test(value.callee)) return `${name}UNIQUE (${columns()})`
  if (/(^|\.)CheckConstraint$/.test(value.callee))
    return `${name}CHECK (${sqlText(arg(value, 0, 'sqltext'), value)})`
  if (/(^|\.)ForeignKeyConstraint$/.test(value.callee)) {
    const local = listOf(arg(value, 0, 'columns'), value).map((column) => sqlIdent(str(column, value)))
    const remote = listOf(arg(value, 1, 'refcolumns'), value).map((column) => str(column, value))
    const referenced = remote.map(splitColumnReference)
    return `${name}FOREIGN KEY (${local.join(', ')}) REFERENCES ${referenced[0]!.table} (${referenced.map((r) => r.column).join(', ')})${referentialActions(value)}`
  }
  throw new NotPortable(value.line, `${value.callee}() in create_table is not one Strata ports`)
}

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

function columnDefinition(
  column: PyCall,
  tableName: string,
  serial: boolean,
  primaryKey: ReadonlySet<string> = new Set(),
): { definition: string; after: string[] } {
  const name = str(arg(column, 0, 'name'), column)
  const other = Object.keys(column.kwargs).find(
    (key) => !COLUMN_KEYWORDS.has(key) && !OTHER_DIALECT.test(key),
  )
  if (other !== undefined)
    throw new NotPortable(column.line, `sa.Column(${other}=...) is not one Strata ports`)
  const type = arg(column, 1, 'type_')
  const parts = [sqlIdent(name), serial ? SERIAL_OF[typeName(type, column)]! : typeSql(type, column)]
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
  return { definition: parts.join(' '), after }
}

/** Keywords for other databases (mysql_engine=...): no DDL on PostgreSQL. */
const OTHER_DIALECT = /^(mysql|mariadb|sqlite|mssql|oracle)_/

/** `sa.Identity(always=True, start=100)`: an identity column, as SQLAlchemy writes it. */
function identitySql(identity: PyCall): string {
  const options = [
    identity.kwargs.start ? `START WITH ${num(identity.kwargs.start, identity)}` : '',
    identity.kwargs.increment ? `INCREMENT BY ${num(identity.kwargs.increment, identity)}` : '',
  ].filter(Boolean)
  return `GENERATED ${isTrue(identity.kwargs.always) ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options.length > 0 ? ` (${options.join(' ')})` : ''}`
}

function alterColumn(call: PyCall): string[] {
  const target = table(call, 0, 'table_name')
  let column = sqlIdent(str(arg(call, 1, 'column_name'), call))
  const statements: string[] = []
  const { kwargs } = call
  if (kwargs.type_ !== undefined) {
    const using = kwargs.postgresql_using ? ` USING ${sqlText(kwargs.postgresql_using, call)}` : ''
    statements.push(
      `ALTER TABLE ${target} ALTER COLUMN ${column} TYPE ${typeSql(kwargs.type_, call)}${using};`,
    )
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
  const known = new Set([
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

/** `users.id` → "users" ("id"), as sa.ForeignKey and ForeignKeyConstraint name a column. */
function splitColumnReference(reference: string): { table: string; column: string } {
  const parts = reference.split('.')
  const column = parts.pop()!
  return { table: parts.map(sqlIdent).join('.'), column: sqlIdent(column) }
}

function referentialActions(call: PyCall): string {
  const onDelete = call.kwargs.ondelete ? ` ON DELETE ${str(call.kwargs.ondelete, call).toUpperCase()}` : ''
  const onUpdate = call.kwargs.onupdate ? ` ON UPDATE ${str(call.kwargs.onupdate, call).toUpperCase()}` : ''
  return `${onDelete}${onUpdate}`
}

/** SQLAlchemy's generic and PostgreSQL types, as PostgreSQL names them. */
const TYPES: Readonly<
  Record<
    string,
    (args: readonly PyValue[], kwargs: Readonly<Record<string, PyValue>>, call: PyCall) => string
  >
> = {
  integer: () => 'integer',
  int: () => 'integer',
  biginteger: () => 'bigint',
  bigint: () => 'bigint',
  smallinteger: () => 'smallint',
  smallint: () => 'smallint',
  string: (args, kwargs, call) => sized('varchar', args[0] ?? kwargs.length, call),
  varchar: (args, kwargs, call) => sized('varchar', args[0] ?? kwargs.length, call),
  unicode: (args, kwargs, call) => sized('varchar', args[0] ?? kwargs.length, call),
  char: (args, kwargs, call) => sized('char', args[0] ?? kwargs.length, call),
  text: () => 'text',
  unicodetext: () => 'text',
  boolean: () => 'boolean',
  datetime: (_args, kwargs) =>
    isTrue(kwargs.timezone) ? 'timestamp with time zone' : 'timestamp without time zone',
  timestamp: (_args, kwargs) =>
    isTrue(kwargs.timezone) ? 'timestamp with time zone' : 'timestamp without time zone',
  date: () => 'date',
  time: (_args, kwargs) => (isTrue(kwargs.timezone) ? 'time with time zone' : 'time without time zone'),
  interval: () => 'interval',
  float: () => 'double precision',
  double_precision: () => 'double precision',
  real: () => 'real',
  numeric: (args, kwargs, call) => numeric(args, kwargs, call),
  decimal: (args, kwargs, call) => numeric(args, kwargs, call),
  json: () => 'json',
  jsonb: () => 'jsonb',
  uuid: () => 'uuid',
  largebinary: () => 'bytea',
  bytea: () => 'bytea',
  inet: () => 'inet',
  cidr: () => 'cidr',
  tsvector: () => 'tsvector',
  array: (args, _kwargs, call) => `${typeSql(args[0], call)}[]`,
}

/** `varchar(255)`: the length positional or as `length=`. */
function sized(name: string, length: PyValue | undefined, call: PyCall): string {
  return length === undefined || isNone(length) ? name : `${name}(${num(length, call)})`
}

/** `numeric(10, 2)`: precision and scale positional or as keywords. */
function numeric(args: readonly PyValue[], kwargs: Readonly<Record<string, PyValue>>, call: PyCall): string {
  const precision = args[0] ?? kwargs.precision
  const scale = args[1] ?? kwargs.scale
  if (precision === undefined || isNone(precision)) return 'numeric'
  return `numeric(${num(precision, call)}${scale === undefined || isNone(scale) ? '' : `, ${num(scale, call)}`})`
}

const SERIAL_OF: Readonly<Record<string, string>> = {
  integer: 'SERIAL',
  int: 'SERIAL',
  biginteger: 'BIGSERIAL',
  bigint: 'BIGSERIAL',
  smallinteger: 'SMALLSERIAL',
  smallint: 'SMALLSERIAL',
}

function typeName(type: PyValue | undefined, call: PyCall): string {
  const path = type?.kind === 'call' ? type.callee : type?.kind === 'name' ? type.path : undefined
  if (path === undefined) throw new NotPortable(call.line, 'a column needs its type')
  return path.split('.').pop()!.toLowerCase()
}

function typeSql(type: PyValue | undefined, call: PyCall): string {
  const name = typeName(type, call)
  const render = TYPES[name]
  if (render === undefined)
    throw new NotPortable(
      call.line,
      `the type ${type?.kind === 'call' ? type.callee : (type as { path: string }).path} is not one Strata ports${name === 'enum' ? ' (sa.Enum also creates a type)' : ''}`,
    )
  return type?.kind === 'call' ? render(type.args, type.kwargs, call) : render([], {}, call)
}

function defaultSql(value: PyValue, call: PyCall): string {
  if (value.kind === 'str') return quoteLiteral(value.value)
  if (value.kind === 'call' && /(^|\.)text$/.test(value.callee)) return str(arg(value, 0, 'text'), value)
  if (value.kind === 'call' && /(^|\.)func\.(\w+)$/.test(value.callee) && value.args.length === 0) {
    const fn = value.callee.split('.').pop()!
    return fn === 'current_timestamp' ? 'CURRENT_TIMESTAMP' : `${fn}()`
  }
  throw new NotPortable(call.line, `server_default ${describe(value)} is not one Strata ports`)
}

/** SQL given as a string or `sa.text('...')`. */
function sqlText(value: PyValue | undefined, call: PyCall): string {
  if (value?.kind === 'str') return value.value
  if (value?.kind === 'call' && /(^|\.)text$/.test(value.callee) && Object.keys(value.kwargs).length === 0)
    return str(arg(value, 0, 'text'), value)
  throw new NotPortable(call.line, `${call.callee}() with ${describe(value)} is not SQL Strata can read`)
}

function table(call: PyCall, position: number, keyword: string): string {
  return qualified(str(arg(call, position, keyword), call), call.kwargs.schema, call)
}

function qualified(name: string, schema: PyValue | undefined, call: PyCall): string {
  return schema && !isNone(schema) ? `${sqlIdent(str(schema, call))}.${sqlIdent(name)}` : sqlIdent(name)
}

function arg(call: PyCall, position: number, keyword: string): PyValue | undefined {
  return call.kwargs[keyword] ?? call.args[position]
}

function str(value: PyValue | undefined, call: PyCall): string {
  if (value?.kind === 'str') return value.value
  // op.f('name'): a name given as it is, past any naming convention.
  if (value?.kind === 'call' && value.callee === 'op.f' && value.args[0]?.kind === 'str')
    return value.args[0].value
  throw new NotPortable(call.line, `${call.callee}() needs a string where it has ${describe(value)}`)
}

function num(value: PyValue, call: PyCall): string {
  if (value.kind === 'num') return value.value
  throw new NotPortable(call.line, `${call.callee}() needs a number where it has ${describe(value)}`)
}

function listOf(value: PyValue | undefined, call: PyCall): readonly PyValue[] {
  if (value?.kind === 'list') return value.items
  if (value?.kind === 'str') return [value]
  throw new NotPortable(call.line, `${call.callee}() needs a list where it has ${describe(value)}`)
}

const isTrue = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'True'
const isFalse = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'False'
const isNone = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'None'

function describe(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing'
  if (value.kind === 'call') return `${value.callee}(...)`
  if (value.kind === 'name') return value.path
  if (value.kind === 'list') return 'a list'
  if (value.kind === 'const') return value.value
  return value.kind === 'str' ? `'${value.value.slice(0, 30)}'` : value.value
}
