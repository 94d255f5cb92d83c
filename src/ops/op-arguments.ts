import { closestMatch } from '../util/closest-match.js'
import { describeValue } from '../util/describe-value.js'

// Migrations are loaded without a type check, so the op API's types do not stop a
// mistyped option: `{ concurrent: true }` would build an index that blocks writes,
// `{ notNull: true }` (node-pg-migrate's word) would make a nullable column. Each op
// checks the keys it is given and refuses the ones it does not know, naming the one
// meant.

/** A call of the op API with arguments it cannot take; the line comes from the stack. */
export class OpArgumentError extends Error {
  readonly hint: string

  constructor(message: string, hint: string) {
    super(message)
    this.name = 'OpArgumentError'
    this.hint = hint
  }
}

/**
 * Every key of an options type, for checking at run time; a `Record` over `keyof`, so the
 * compiler refuses a list that misses an option or names one the type lacks.
 *
 * @example const keys = optionKeys<{ ifExists?: boolean }>({ ifExists: true })
 */
export function optionKeys<T>(keys: Record<keyof Required<T>, true>): readonly string[] {
  return Object.keys(keys)
}

/**
 * Words other migration tools use, and what the op API calls them; shown instead of an
 * edit-distance guess, which would not find `nullable: false` from `notNull`.
 */
const OTHER_TOOLS_WORDS: Readonly<Record<string, string>> = {
  notNull: 'nullable: false',
  allowNull: 'nullable',
  null: 'nullable',
  defaultValue: 'default',
  defaultTo: 'default',
  autoIncrement: "identity: true (or type: 'bigserial')",
  increments: 'identity: true',
  serial: "identity: true (or type: 'bigserial')",
  primary: 'primaryKey: true',
  pk: 'primaryKey: true',
  concurrent: 'concurrently: true',
  method: "using: 'gin'",
  predicate: "where: 'deleted_at IS NULL'",
  comment: "op.comment('column', 'table.column', 'text')",
  check: "op.addCheckSafely('name', 'table', 'condition')",
  onDelete: "references: { table: 'users', onDelete: 'CASCADE' }",
  onUpdate: "op.createForeignKey(..., { onUpdate: 'CASCADE' })",
}

/**
 * Refuses keys of `value` that `known` does not list.
 *
 * @param call what was called, for the message: `createIndex('ix_users_email')`
 */
export function checkOptionKeys(call: string, value: unknown, known: readonly string[]): void {
  if (value === undefined || value === null) return
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new OpArgumentError(
      `${call}: options must be an object ({ ${known.slice(0, 3).join(', ')}, ... }), found ${describeValue(value)}`,
      `the options it knows: ${known.join(', ')}`,
    )
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const meant = OTHER_TOOLS_WORDS[key] ?? closestMatch(key, known)
    throw new OpArgumentError(
      `${call}: unknown option ${key}${meant === undefined ? '' : ` (did you mean ${meant}?)`}`,
      `the options it knows: ${known.join(', ')} (an unknown one would otherwise be ignored without a word)`,
    )
  }
  for (const key of FLAG_OPTIONS) {
    const flag = (value as Record<string, unknown>)[key]
    if (flag === undefined || typeof flag === 'boolean') continue
    throw new OpArgumentError(
      `${call}: ${key} must be true or false, found ${describeValue(flag)}`,
      `any other value would be read as true or false by its truthiness: { ${key}: 'false' } would mean true`,
    )
  }
}

/**
 * Options that are a yes or no wherever an op takes them. (`primaryKey` and `identity`
 * are not: createTable takes primaryKey columns, a column takes identity 'always'.)
 */
const FLAG_OPTIONS = [
  'nullable',
  'unique',
  'concurrently',
  'ifNotExists',
  'ifExists',
  'cascade',
  'notValid',
  'deferrable',
]

/** Refuses a missing or non-string name, which would otherwise become `"undefined"` in SQL. */
export function requireString(call: string, what: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value
  throw new OpArgumentError(
    `${call}: ${what} must be a non-empty string, found ${describeValue(value)}`,
    'see the op API in the README for the arguments of each call',
  )
}

/** Refuses a number option (when given) that is not a whole number from `lowest`: `{ batchSize: '1000' }`. */
export function requireWholeNumber(
  call: string,
  key: string,
  value: unknown,
  lowest: number,
  example: number,
): void {
  if (value === undefined || (Number.isInteger(value) && (value as number) >= lowest)) return
  throw new OpArgumentError(
    `${call}: ${key} must be a whole number from ${lowest}, found ${describeValue(value)}`,
    `e.g. ${key}: ${example}`,
  )
}

/** Refuses a missing table name: `'users'`, `'app.users'` or `{ schema, name }` are taken. */
export function requireRelation(call: string, what: string, value: unknown): void {
  requireString(
    call,
    what,
    typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : value,
  )
}
