/**
 * Exponential backoff with jitter: attempt 1 waits up to `baseMs`, each further attempt
 * doubles that, up to `maxMs`; the wait is random in [ceiling/2, ceiling], so retrying
 * clients do not move in step.
 *
 * @example jitteredBackoff(3, 100, 5000) // between 200 and 400
 */
export function jitteredBackoff(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
