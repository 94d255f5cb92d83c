import { Option } from 'commander'
import type { ResolvedConfig } from '../config/types.js'
import { UsageError } from '../errors/index.js'
import { parseDuration, timeoutOutOfRange } from '../util/duration.js'

/** `--lock-timeout` / `--lock-retries`: the operator's lock settings for one run. */
export interface LockFlags {
  lockTimeout?: string
  lockRetries?: string
}

export const lockTimeoutOption = () =>
  new Option(
    '--lock-timeout <duration>',
    'lock_timeout for this run (10s, 2min), over the config and the migrations',
  )

export const lockRetriesOption = () =>
  new Option('--lock-retries <n>', 'retries after a lock timeout for this run')

/**
 * The config with `--lock-timeout` / `--lock-retries` applied for this run: they win
 * over the config and over a migration's own settings (see `lockSettings`).
 */
export function withLockFlags(config: ResolvedConfig, flags: LockFlags): ResolvedConfig {
  if (flags.lockTimeout === undefined && flags.lockRetries === undefined) return config
  const timeout = flags.lockTimeout === undefined ? undefined : lockTimeoutFlag(flags.lockTimeout)
  const retries = flags.lockRetries === undefined ? undefined : Number(flags.lockRetries)
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 100))
    throw new UsageError(`--lock-retries expects a whole number from 0 to 100, not "${flags.lockRetries}"`)
  return { ...config, lock: Object.freeze({ ...config.lock, commandLine: { timeout, retries } }) }
}

/** `--lock-timeout` in ms: a positive duration with its unit. */
function lockTimeoutFlag(text: string): number {
  const ms = parseDuration(text)
  const problem =
    ms === undefined
      ? 'write it with a unit: ms, s, min or h'
      : /^\s*[\d.]+\s*$/.test(text)
        ? `give a unit: ${text}s (a bare number would be ${text} ms, as PostgreSQL reads it)`
        : ms === 0
          ? '0 would wait for a lock forever, which is what lock_timeout is there to prevent'
          : timeoutOutOfRange(ms)
  if (problem !== undefined || ms === undefined)
    throw new UsageError(`--lock-timeout expects a duration such as 10s or 2min, not "${text}"`, {
      hint: problem,
    })
  return ms
}
