import { InvalidInputError, InvalidMigrationError } from '../errors/index.js'
import type { Finding } from './analyse-migration.js'

/**
 * A migration `strata check` could not read (a syntax error, a module that throws on
 * load, a psql variable it lacks). The others are still analysed, so that one broken
 * file in a pull request does not hide the findings of the rest; the check then ends
 * with exit 2, as for any bad input.
 */
export interface UnreadableMigration {
  /** The revision, or the path of a file given on the command line. */
  readonly id: string
  readonly file: string | undefined
  readonly message: string
  /** `path:line` when the error knows the line. */
  readonly where: string | undefined
  readonly hint: string | undefined
}

/** The rule id an unreadable migration carries in SARIF, GitLab and GitHub reports. */
export const UNREADABLE_RULE = 'unreadable-migration'

/**
 * Runs `load`; a migration's own bad input is recorded in `unreadable` and gives
 * undefined. Anything else (a lost connection, a bug) still ends the check.
 */
export async function readOrRecord<T>(
  id: string,
  file: string | undefined,
  load: () => Promise<T>,
  unreadable: UnreadableMigration[],
): Promise<T | undefined> {
  try {
    return await load()
  } catch (error) {
    if (!(error instanceof InvalidInputError || error instanceof InvalidMigrationError)) throw error
    unreadable.push({ id, file, message: error.message, where: error.where, hint: error.hint })
    return undefined
  }
}

/** The line `where` names (`path:12`), if any. */
export function unreadableLine(migration: UnreadableMigration): number | undefined {
  const line = /:(\d+)$/.exec(migration.where ?? '')?.[1]
  return line === undefined ? undefined : Number(line)
}

/** An unreadable migration as an error finding, for the formats that list findings by file. */
export function unreadableFinding(migration: UnreadableMigration): Finding {
  return {
    rule: UNREADABLE_RULE,
    level: 'error',
    message: `cannot analyse ${migration.id}: ${migration.message}`,
    fix: migration.hint ?? 'fix the migration so that it parses, then run strata check again',
    line: unreadableLine(migration),
    statement: undefined,
    suppressed: undefined,
  }
}

/**
 * Ends a caller that cannot go on past a migration it could not read (a deploy, a
 * tenant's check) the way the check itself ends: the migration's own error when there
 * is one, else one message naming each.
 */
export function throwIfUnreadable(unreadable: readonly UnreadableMigration[]): void {
  if (unreadable.length === 0) return
  if (unreadable.length === 1) {
    const [only] = unreadable
    throw new InvalidInputError(only!.message, { where: only!.where ?? only!.file, hint: only!.hint })
  }
  throw new InvalidInputError(
    `${unreadable.length} migrations cannot be analysed: ${unreadable.map((m) => `${m.where ?? m.file ?? m.id} (${m.message.split('\n')[0]})`).join('; ')}`,
    { hint: 'fix each as its message says, then run strata check again' },
  )
}
