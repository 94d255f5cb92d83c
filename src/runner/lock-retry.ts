import type { ResolvedConfig } from '../config/types.js'
import { STEP_STARTED_SETTING } from '../db/record-step.js'
import { LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { MigrationFailedError } from '../errors/index.js'
import type { MigrationMeta } from '../graph/migration.js'
import { jitteredBackoff } from '../util/backoff.js'
import { formatDuration } from '../util/duration.js'
import { type Blocker, describeBlocker } from './lock-watcher.js'

/** The lock settings of one migration: the config's, overridden by the migration's own exports. */
export interface LockSettings {
  readonly lockTimeout: number
  readonly statementTimeout: number
  readonly retries: number
  readonly retryDelay: number
  readonly maxRetryDelay: number
}

export function lockSettings(lock: ResolvedConfig['lock'], meta: MigrationMeta): LockSettings {
  return {
    lockTimeout: lock.commandLine?.timeout ?? meta.lockTimeout ?? lock.timeout,
    statementTimeout: meta.statementTimeout ?? lock.statementTimeout,
    retries: lock.commandLine?.retries ?? meta.lockRetries ?? lock.retries,
    retryDelay: lock.retryDelay,
    maxRetryDelay: lock.maxRetryDelay,
  }
}

/**
 * The statements that apply the settings (integers, so safe as literals). `LOCAL`
 * inside a transaction; session-wide for a non-transactional migration.
 */
export function settingsSql(settings: LockSettings, local: boolean): string {
  const scope = local ? 'SET LOCAL' : 'SET'
  return `${scope} lock_timeout = ${Math.trunc(settings.lockTimeout)}; ${scope} statement_timeout = ${Math.trunc(settings.statementTimeout)}`
}

/**
 * A transactional step's first statement: its settings (as `SET LOCAL` would) and the
 * time it began, which its record reads back (see `recordStepSql`'s `marked` start).
 * One statement rather than three: it runs once per migration. The settings are
 * integers, so safe as literals.
 */
export function stepSettingsSql(settings: LockSettings): string {
  return `SELECT set_config('lock_timeout', '${Math.trunc(settings.lockTimeout)}', true), set_config('statement_timeout', '${Math.trunc(settings.statementTimeout)}', true), set_config('${STEP_STARTED_SETTING}', clock_timestamp()::text, false)`
}

/** Exponential backoff with full jitter: a random wait in [delay/2, delay], delay doubling up to the maximum. */
export function retryDelay(
  settings: LockSettings,
  attempt: number,
  random: () => number = Math.random,
): number {
  return jitteredBackoff(attempt, settings.retryDelay, settings.maxRetryDelay, random)
}

/** One line for each wait: who blocks, and when the next attempt comes. */
export function describeLockWait(
  revision: string,
  settings: LockSettings,
  attempt: number,
  blockers: readonly Blocker[],
  delayMs: number,
  deadlock = false,
): string {
  const who =
    blockers.length === 0
      ? 'the blocking session had ended by the time it was looked up'
      : `blocked by ${blockers.map(describeBlocker).join('; ')}`
  const what = deadlock
    ? 'gave way in a deadlock with another session (the migration, not the application, is rolled back)'
    : `could not get its lock within lock_timeout ${formatDuration(settings.lockTimeout)}`
  return `${revision}: ${what} (attempt ${attempt} of ${settings.retries + 1}); ${who}; rolled back, retrying in ${formatDuration(delayMs)}`
}

/** The error after the last attempt: what blocked, and the guide's remedies. */
export function lockGaveUp(
  meta: MigrationMeta,
  direction: 'up' | 'down',
  settings: LockSettings,
  blockers: readonly Blocker[],
  cause: unknown,
): MigrationFailedError {
  const lines = [
    `${direction === 'up' ? 'upgrade' : 'downgrade'} ${meta.revision}${meta.message ? ` (${meta.message})` : ''} could not get its lock after ${settings.retries + 1} attempt${settings.retries === 0 ? '' : 's'} (lock_timeout ${formatDuration(settings.lockTimeout)} each); it was rolled back each time and other sessions were never held up longer than that`,
    blockers.length === 0
      ? 'the blocking session could not be identified'
      : `blocked by: ${blockers.map(describeBlocker).join('; ')}`,
  ]
  return new MigrationFailedError(lines.join('\n'), meta.revision, LOCK_NOT_AVAILABLE, {
    where: meta.file,
    hint: `wait for ${blockers.length === 1 ? `pid ${blockers[0]!.pid}` : 'the blocking sessions'} to finish and run the command again; \`strata diagnose blocking\` shows the lock tree and \`strata diagnose terminate PID\` ends a session; to wait longer this once: --lock-timeout 15s --lock-retries 20 (or lock.retries in the config)`,
    cause,
  })
}
