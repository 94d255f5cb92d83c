import type { Command } from 'commander'
import type { ResolvedConfig } from '../config/types.js'
import { wholeNumber } from './option-values.js'

/** `--retention-days` and `--keep-verified`: the config's retention, overridden for one run. */
export interface RetentionFlags {
  retentionDays?: string
  keepVerified?: string
}

export interface Retention {
  readonly retentionDays: number
  readonly keepVerified: number
}

/** Adds the two options to a command that prunes (`backup`, `backups prune`). */
export function withRetentionOptions(command: Command): Command {
  return command
    .option(
      '--retention-days <days>',
      'delete backups older than this many days (default: backup.retentionDays, 30)',
    )
    .option(
      '--keep-verified <n>',
      'never delete the newest N verified backups of a database (default: backup.keepVerified, 3)',
    )
}

/** The retention a run applies: the flags where given, else the config's. */
export function retentionFrom(flags: RetentionFlags, config: ResolvedConfig): Retention {
  return {
    retentionDays: wholeNumber(flags.retentionDays, '--retention-days', 30) ?? config.backup.retentionDays,
    keepVerified: wholeNumber(flags.keepVerified, '--keep-verified', 3) ?? config.backup.keepVerified,
  }
}
