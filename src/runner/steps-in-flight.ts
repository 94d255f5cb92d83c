import type { BatchOutcome } from '../db/statement-batch.js'
import type { StepEvent, StepResult } from './run-plan.js'
import type { StepInFlight } from './run-step.js'

/**
 * The steps a run has started and not yet reported done, oldest first. Several may be
 * on their way at once (consecutive migrations share a round trip), so what the server
 * answered decides what is done: a record gives its step's duration, and a COMMIT
 * reports its step and every step before it (in one transaction, the last one's
 * COMMIT ends them all).
 */
export class StepsInFlight {
  readonly #queue: StepInFlight[] = []
  readonly #byStep = new Map<object, StepInFlight>()
  /** How many steps are committed and reported. */
  committed = 0

  constructor(
    private readonly results: StepResult[],
    private readonly onStep: ((event: StepEvent) => void) | undefined,
  ) {}

  add(run: StepInFlight): void {
    this.#queue.push(run)
    this.#byStep.set(run.step, run)
  }

  /** The newest step not yet done. */
  get last(): StepInFlight | undefined {
    return this.#queue.at(-1)
  }

  /** The step a batch unit belongs to (units are marked with their plan step). */
  of(owner: object | undefined): StepInFlight | undefined {
    return owner === undefined ? undefined : this.#byStep.get(owner)
  }

  /** Takes in what the server did with the batches sent since the last call. */
  settle({ completed, collected }: BatchOutcome): void {
    let row = 0
    for (const unit of completed) {
      const run = this.of(unit.owner)
      if (run === undefined) continue
      if (unit.role === 'record') run.durationMs = Number(collected[row++]?.[0])
      if (unit.role === 'commit') this.#reportThrough(run)
    }
  }

  #reportThrough(run: StepInFlight): void {
    for (const done of this.#queue.splice(0, this.#queue.indexOf(run) + 1)) {
      this.#byStep.delete(done.step)
      // The server's measure when the record said it; Strata's clock otherwise.
      const durationMs = Number.isFinite(done.durationMs)
        ? done.durationMs!
        : Date.now() - done.startedAt.getTime()
      this.results.push({ revision: done.step.revision, direction: done.step.direction, durationMs })
      this.onStep?.({ kind: 'done', step: done.step, durationMs })
      this.committed++
    }
  }
}
