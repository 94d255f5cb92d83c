import { didYouMean } from '../util/closest-match.js'
import { describeValue } from '../util/describe-value.js'

/**
 * A small declarative schema for configuration objects. It exists (instead of a
 * general validation library) so that every message names the key, what was
 * expected and what was found, and suggests the closest valid key for a typo.
 */
export type Schema =
  | {
      readonly kind: 'string'
      readonly oneOf?: readonly string[]
      readonly pattern?: RegExp
      readonly patternText?: string
    }
  | { readonly kind: 'number'; readonly integer?: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'array'; readonly of: Schema }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Schema>> }
  | { readonly kind: 'record'; readonly of: Schema }
  | { readonly kind: 'union'; readonly options: readonly Schema[] }

/** One validation problem: the dotted key path and a sentence about it. */
export interface SchemaProblem {
  readonly path: string
  readonly message: string
}

export const s = {
  string: (options: { oneOf?: readonly string[]; pattern?: RegExp; patternText?: string } = {}): Schema => ({
    kind: 'string',
    ...options,
  }),
  number: (options: { integer?: boolean; min?: number; max?: number } = {}): Schema => ({
    kind: 'number',
    ...options,
  }),
  boolean: (): Schema => ({ kind: 'boolean' }),
  array: (of: Schema): Schema => ({ kind: 'array', of }),
  object: (fields: Record<string, Schema>): Schema => ({ kind: 'object', fields }),
  record: (of: Schema): Schema => ({ kind: 'record', of }),
  union: (...options: Schema[]): Schema => ({ kind: 'union', options }),
}

/** What a schema accepts, as a phrase: "an integer from 1 to 65535". */
export function expectation(schema: Schema): string {
  switch (schema.kind) {
    case 'string':
      if (schema.oneOf) return `one of ${schema.oneOf.map((value) => JSON.stringify(value)).join(', ')}`
      return schema.patternText ?? 'a string'
    case 'number': {
      const noun = schema.integer ? 'an integer' : 'a number'
      if (schema.min !== undefined && schema.max !== undefined)
        return `${noun} from ${schema.min} to ${schema.max}`
      if (schema.min !== undefined) return `${noun} of at least ${schema.min}`
      return noun
    }
    case 'boolean':
      return 'true or false'
    case 'array':
      return `an array of ${expectation(schema.of).replace(/^an? /, '')}s`
    case 'object':
    case 'record':
      return 'an object'
    case 'union':
      return schema.options.map(expectation).join(' or ')
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** Every problem in `value` against `schema`; an empty list means it is valid. */
export function validate(value: unknown, schema: Schema, path = ''): SchemaProblem[] {
  const mismatch = (): SchemaProblem[] => [
    { path, message: `expected ${expectation(schema)}, found ${describeValue(value)}` },
  ]
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') return mismatch()
      if (schema.oneOf && !schema.oneOf.includes(value)) {
        return [
          {
            path,
            message:
              `expected ${expectation(schema)}, found ${describeValue(value)}.${didYouMean(value, schema.oneOf)}`.replace(
                /\.$/,
                '',
              ),
          },
        ]
      }
      if (schema.pattern && !schema.pattern.test(value)) return mismatch()
      return []
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) return mismatch()
      if (schema.integer && !Number.isInteger(value)) return mismatch()
      if (schema.min !== undefined && value < schema.min) return mismatch()
      if (schema.max !== undefined && value > schema.max) return mismatch()
      return []
    case 'boolean':
      return typeof value === 'boolean' ? [] : mismatch()
    case 'array':
      if (!Array.isArray(value)) return mismatch()
      return value.flatMap((item, index) => validate(item, schema.of, `${path}[${index}]`))
    case 'record':
      if (!isPlainObject(value)) return mismatch()
      return Object.entries(value).flatMap(([key, item]) => validate(item, schema.of, join(path, key)))
    case 'object': {
      if (!isPlainObject(value)) return mismatch()
      const known = Object.keys(schema.fields)
      const problems: SchemaProblem[] = []
      for (const [key, item] of Object.entries(value)) {
        const fieldSchema = schema.fields[key]
        if (fieldSchema === undefined) {
          const where = path === '' ? 'at the top level' : `in ${path}`
          problems.push({
            path: join(path, key),
            message: `unknown key "${key}" ${where}.${didYouMean(key, known) || ` Valid keys: ${known.join(', ')}.`}`,
          })
        } else if (item !== undefined) {
          problems.push(...validate(item, fieldSchema, join(path, key)))
        }
      }
      return problems
    }
    case 'union': {
      const attempts = schema.options.map((option) => validate(value, option, path))
      if (attempts.some((problems) => problems.length === 0)) return []
      // Report against the option of the same shape (object vs string), which is the one the user meant.
      const sameShape = schema.options.findIndex((option) => shapeMatches(option, value))
      return sameShape >= 0 ? attempts[sameShape]! : mismatch()
    }
  }
}

function shapeMatches(schema: Schema, value: unknown): boolean {
  switch (schema.kind) {
    case 'object':
    case 'record':
      return isPlainObject(value)
    case 'array':
      return Array.isArray(value)
    default:
      return typeof value === schema.kind
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
