import type { PyCall, PyValue } from './python-calls.js'
import { isNone, isTrue, NotPortable, num } from './python-values.js'

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

export const SERIAL_OF: Readonly<Record<string, string>> = {
  integer: 'SERIAL',
  int: 'SERIAL',
  biginteger: 'BIGSERIAL',
  bigint: 'BIGSERIAL',
  smallinteger: 'SMALLSERIAL',
  smallint: 'SMALLSERIAL',
}

export function typeName(type: PyValue | undefined, call: PyCall): string {
  const path = type?.kind === 'call' ? type.callee : type?.kind === 'name' ? type.path : undefined
  if (path === undefined) throw new NotPortable(call.line, 'a column needs its type')
  return path.split('.').pop()!.toLowerCase()
}

export function typeSql(type: PyValue | undefined, call: PyCall): string {
  const name = typeName(type, call)
  const render = TYPES[name]
  if (render === undefined)
    throw new NotPortable(
      call.line,
      `the type ${type?.kind === 'call' ? type.callee : (type as { path: string }).path} is not one Strata ports${name === 'enum' ? ' (sa.Enum also creates a type)' : ''}`,
    )
  return type?.kind === 'call' ? render(type.args, type.kwargs, call) : render([], {}, call)
}
