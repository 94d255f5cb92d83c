import type { Command } from 'commander'

/**
 * `strata dev psql -c "SELECT 1"`: everything after `psql` is psql's. Commander would
 * read `-c` as Strata's own `--config` (global options are accepted after the command
 * too), so a `--` is put right after `psql`, which ends option parsing there. Strata's
 * options before `dev` (`strata -c other.ts dev psql ...`) stay Strata's.
 */
export function passArgumentsToPsql(program: Command, argv: readonly string[]): string[] {
  const takesValue = new Set(
    program.options
      .filter((option) => option.required || option.optional)
      .flatMap((option) => [option.short, option.long].filter((flag): flag is string => flag !== undefined)),
  )
  const words: number[] = [] // positions of the command words, options and their values skipped
  for (let index = 2; index < argv.length && words.length < 2; index++) {
    const arg = argv[index]!
    if (arg === '--') break
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) index++
      continue
    }
    words.push(index)
  }
  const [dev, psql] = words
  if (dev === undefined || psql === undefined || argv[dev] !== 'dev' || argv[psql] !== 'psql')
    return [...argv]
  if (argv[psql + 1] === '--') return [...argv]
  return [...argv.slice(0, psql + 1), '--', ...argv.slice(psql + 1)]
}
