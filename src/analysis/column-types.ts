import type { Node } from 'libpg-query'
import { findNodes, nameList, nodeOf, type TypeInfo, typeText } from './ast.js'

/** Serial pseudo-types: a sequence plus a volatile `nextval()` default. */
export const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'])

/** 32-bit and smaller integer types (and their serials), which run out on busy tables. */
export const SMALL_INTEGER_TYPES = new Set(['int4', 'int2', 'serial', 'serial4', 'smallserial', 'serial2'])

/**
 * Functions whose result changes per row, so a default using them must be computed
 * for every existing row (a table rewrite). `now()` and CURRENT_TIMESTAMP are stable:
 * evaluated once, stored as a "missing value" (PostgreSQL 11+).
 */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'nextval',
  'setval',
  'txid_current',
  'pg_current_xact_id',
])

/** Whether `name` (unqualified, any case) is a function known to be volatile. */
export function isKnownVolatileFunction(name: string): boolean {
  return VOLATILE_FUNCTIONS.has(name.toLowerCase())
}

/** Functions known not to be volatile, so a default calling them is metadata-only. */
const STABLE_FUNCTIONS = new Set([
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'current_timestamp',
  'current_date',
  'lower',
  'upper',
  'coalesce',
  'to_jsonb',
  'jsonb_build_object',
  'json_build_object',
  'array',
  'make_interval',
  'length',
])

export type Volatility = 'immutable-or-stable' | 'volatile' | 'unknown'

/** Whether an expression (a column default) calls a volatile function. */
export function expressionVolatility(expression: Node | undefined): { volatility: Volatility; fn?: string } {
  if (expression === undefined) return { volatility: 'immutable-or-stable' }
  let unknown: string | undefined
  for (const call of findNodes<{ funcname?: Node[] }>(expression, 'FuncCall')) {
    const names = nameList(call.funcname)
    const name = (names[names.length - 1] ?? '').toLowerCase()
    if (VOLATILE_FUNCTIONS.has(name)) return { volatility: 'volatile', fn: name }
    if (!STABLE_FUNCTIONS.has(name)) unknown ??= name
  }
  if (findNodes(expression, 'SubLink').length > 0) return { volatility: 'volatile', fn: 'a subquery' }
  return unknown === undefined
    ? { volatility: 'immutable-or-stable' }
    : { volatility: 'unknown', fn: unknown }
}

/** Display names for internal type names in messages. */
const DISPLAY: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  bpchar: 'char',
  float8: 'double precision',
  float4: 'real',
  bool: 'boolean',
  timestamptz: 'timestamptz',
}

export function displayType(type: TypeInfo): string {
  return typeText({ ...type, name: DISPLAY[type.name] ?? type.name })
}

/**
 * What `ALTER COLUMN ... TYPE` costs when the old type is known: PostgreSQL skips the
 * rewrite for binary-coercible changes that only relax a limit (varchar(n) → wider or
 * text, numeric precision up with the same scale, cidr → inet), and scans without
 * rewriting when a varchar limit shrinks.
 */
export function typeChangeCost(
  from: TypeInfo | undefined,
  to: TypeInfo,
  hasUsing: boolean,
): 'metadata' | 'scan' | 'rewrite' {
  if (from === undefined || hasUsing || from.array !== to.array) return 'rewrite'
  const stringLike = new Set(['varchar', 'text'])
  if (stringLike.has(from.name) && to.name === 'text') return 'metadata'
  if (from.name === 'varchar' && to.name === 'varchar') {
    const [before] = from.modifiers
    const [after] = to.modifiers
    if (after === undefined) return 'metadata'
    if (before === undefined) return 'scan'
    return after >= before ? 'metadata' : 'scan'
  }
  if (from.name === 'text' && to.name === 'varchar') return to.modifiers.length === 0 ? 'metadata' : 'scan'
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.modifiers.length === 0) return 'metadata'
    const [p1 = 0, s1 = 0] = from.modifiers
    const [p2 = 0, s2 = 0] = to.modifiers
    return from.modifiers.length > 0 && s1 === s2 && p2 >= p1 ? 'metadata' : 'rewrite'
  }
  if ((from.name === 'varbit' || from.name === 'bit') && from.name === to.name) {
    const [before = 0] = from.modifiers
    const [after] = to.modifiers
    return after === undefined || after >= before ? 'metadata' : 'rewrite'
  }
  if (from.name === 'cidr' && to.name === 'inet') return 'metadata'
  if (from.name === to.name && from.modifiers.join() === to.modifiers.join()) return 'metadata'
  return 'rewrite'
}

/** The default expression of a column definition's constraints, if any. */
export function defaultOf(constraints: readonly Node[] | undefined): Node | undefined {
  for (const constraint of constraints ?? []) {
    const body = nodeOf<{ contype?: string; raw_expr?: Node }>(constraint, 'Constraint')
    if (body?.contype === 'CONSTR_DEFAULT') return body.raw_expr
  }
  return undefined
}
