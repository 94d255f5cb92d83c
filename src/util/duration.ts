/**
 * Milliseconds from a duration: a number (milliseconds) or text with a unit, as
 * PostgreSQL writes them: `'500ms'`, `'5s'`, `'2min'`, `'1h'` (also `us`, `d`). Returns undefined for
 * anything else, so callers can say what was wrong.
 *
 * @example parseDuration('5s') // 5000
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
  if (typeof value !== 'string') return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(value)
  if (!match) return undefined
  const amount = Number(match[1])
  const unit = match[2] ?? 'ms'
  const factor = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!
  return Math.round(amount * factor)
}

/** `5000` → `'5s'`, `1500` → `'1.5s'`, `250` → `'250ms'`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}

/** PostgreSQL keeps lock_timeout and statement_timeout in an int of milliseconds. */
export const MAX_POSTGRES_TIMEOUT_MS = 2_147_483_647

/**
 * Why a timeout cannot be given to PostgreSQL, or undefined: one larger than it keeps is
 * refused by the server only when the migration sets it, half-way through a run.
 */
export function timeoutOutOfRange(ms: number): string | undefined {
  return ms > MAX_POSTGRES_TIMEOUT_MS
    ? `more than PostgreSQL allows for a timeout (${MAX_POSTGRES_TIMEOUT_MS} ms, about 24 days)`
    : undefined
}
