import { setTimeout as sleep } from 'node:timers/promises'
import type { CheckReport } from '../health/check-result.js'
import { checkHealth, type HealthOptions } from '../health/health.js'

/** What the watch window saw. */
export interface WatchResult {
  readonly polls: number
  /** The first failing poll, when one failed: the window ends there. */
  readonly failure: CheckReport | undefined
  /** Ended early by `stop` (the operator's Ctrl-C), every poll so far healthy. */
  readonly stopped: boolean
}

/**
 * The guide's "monitor for 30 minutes", done by polling: the health checks run every
 * `intervalMs` until `durationMs` has passed or one fails, which ends the window at once.
 * `stop` ends it early between polls (the operator has seen enough).
 */
export async function watchHealth(
  options: HealthOptions,
  durationMs: number,
  intervalMs: number,
  onPoll: (report: CheckReport, elapsedMs: number) => void,
  stop?: AbortSignal,
): Promise<WatchResult> {
  const started = Date.now()
  let polls = 0
  for (;;) {
    const report = await checkHealth(options)
    polls += 1
    const elapsed = Date.now() - started
    onPoll(report, elapsed)
    if (!report.ok) return { polls, failure: report, stopped: false }
    const left = durationMs - (Date.now() - started)
    if (left <= 0) return { polls, failure: undefined, stopped: false }
    if (stop?.aborted) return { polls, failure: undefined, stopped: true }
    await sleep(Math.min(intervalMs, left), undefined, { signal: stop }).catch(() => undefined)
    if (stop?.aborted) return { polls, failure: undefined, stopped: true }
  }
}
