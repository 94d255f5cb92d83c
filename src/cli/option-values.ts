import { UsageError } from '../errors/index.js'

/** Commander's accumulator for a repeatable option (`-t a -t b` → `['a', 'b']`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/**
 * An option's value as a positive whole number; undefined when the option was not given.
 *
 * @example positiveInteger(flags.jobs, '--jobs', 4)
 */
export function positiveInteger(text: string | undefined, flag: string, example: number): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} expects a positive whole number, got "${text}"`, {
      hint: `for example: ${flag} ${example}`,
    })
  return value
}
