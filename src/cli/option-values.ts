import { UsageError } from '../errors/index.js'

/** Commander's accumulator for a repeatable option (`-t a -t b` → `['a', 'b']`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/**
 * Repeated `KEY=VALUE` options as a record.
 *
 * @example keyValuePairs(['tenant=acme'], '-x', 'tenant=acme') // { tenant: 'acme' }
 */
export function keyValuePairs(
  items: readonly string[],
  flag: string,
  example: string,
): Record<string, string> {
  const pairs: Record<string, string> = {}
  for (const item of items) {
    const at = item.indexOf('=')
    if (at <= 0)
      throw new UsageError(`${flag} expects KEY=VALUE, got "${item}"`, {
        hint: `for example: ${flag} ${example}`,
      })
    pairs[item.slice(0, at)] = item.slice(at + 1)
  }
  return pairs
}

/**
 * An option's value as a positive whole number; undefined when the option was not given.
 *
 * @example positiveInteger(flags.jobs, '--jobs', 4)
 */
export function positiveInteger(text: string | undefined, flag: string, example: number): number | undefined {
  return integerAtLeast(1, 'a positive whole number', text, flag, example)
}

/**
 * An option's value as a whole number, zero included; undefined when not given.
 *
 * @example wholeNumber(flags.keepVerified, '--keep-verified', 3)
 */
export function wholeNumber(text: string | undefined, flag: string, example: number): number | undefined {
  return integerAtLeast(0, 'a whole number (0 or more)', text, flag, example)
}

function integerAtLeast(
  min: number,
  expected: string,
  text: string | undefined,
  flag: string,
  example: number,
): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === '' || !Number.isInteger(value) || value < min)
    throw new UsageError(`${flag} expects ${expected}, got "${text}"`, {
      hint: `for example: ${flag} ${example}`,
    })
  return value
}
