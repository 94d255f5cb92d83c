import { setTimeout as sleep } from 'node:timers/promises'
import type { CheckReport } from '../health/check-result.js'
import { checkHealth, type HealthOptions } from '../health/health.js'

/** What the watch window saw. */
export interface WatchResult {
  readonly polls: number
  /** The first failing poll, when one failed: the window ends there. */
  readonly failure: CheckReport | undefined
}

/**
 * The guide's "monitor for 30 minutes", done by polling: the health checks run every
 * `intervalMs` until `durationMs` has passed or one fails, which ends the window at once.
 */
export async function watchHealth(
  options: HealthOptions,
  durationMs: number,
  intervalMs: number,
  onPoll: (report: CheckReport, elapsedMs: number) => void,
): Promise<WatchResult> {
  const started = Date.now()
  let polls = 0
  for (;;) {
    const report = await checkHealth(options)
    polls += 1
    const elapsed = Date.now() - started
    onPoll(report, elapsed)
    if (!report.ok) return { polls, failure: report }
    const left = durationMs - (Date.now() - started)
    if (left <= 0) return { polls, failure: undefined }
    await sleep(Math.min(intervalMs, left))
  }
}
