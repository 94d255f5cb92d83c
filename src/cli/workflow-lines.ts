import type { StepEvent } from '../runner/run-plan.js'
import { logTimestamp } from '../util/timestamp.js'
import type { CommandContext } from './context.js'

/** Workflow lines with the guide's `[YYYY-MM-DD HH:MM:SS]` stamp (silenced by --quiet). */
export function progressLines(context: CommandContext): (line: string) => void {
  return (line) => {
    if (!context.output.quiet) context.output.line(`${logTimestamp()} ${line}`)
  }
}

/** One timestamped line per finished migration step: `Running upgrade a -> b, message (12 ms)`. */
export function stepPrinter(context: CommandContext): (event: StepEvent) => void {
  return (event) => {
    // Progress lines are for people: --quiet and --json keep only the result.
    if (event.kind !== 'done' || context.output.quiet) return
    const { step } = event
    const arrow =
      step.direction === 'up'
        ? `${step.meta.downRevisions.join(', ')} -> ${step.revision}`
        : `${step.revision} -> ${step.rowsAfter.join(', ')}`
    context.output.line(
      `${logTimestamp()} Running ${step.direction === 'up' ? 'upgrade' : 'downgrade'} ${arrow}${step.meta.message ? `, ${step.meta.message}` : ''} (${event.durationMs} ms)`,
    )
  }
}
