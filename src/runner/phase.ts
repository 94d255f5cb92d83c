import { UsageError } from '../errors/index.js'
import { plural } from '../util/plural.js'
import type { Plan, PlanStep } from './plan.js'

/**
 * Which part of the zero-downtime sequence an upgrade runs (DESIGN.md §4):
 * - `expand`: pending migrations up to, not including, the first `contract` one; safe
 *   while the old release still runs;
 * - `contract`: the `contract` migrations, once every instance runs the new release;
 *   refused while expand migrations before them are still pending;
 * - `all`: everything pending, in order (a single-instance or development deploy).
 */
export type DeployPhase = 'expand' | 'contract' | 'all'

export const DEPLOY_PHASES: readonly DeployPhase[] = ['expand', 'contract', 'all']

/** A plan cut to one phase, and the steps that wait for a later one. */
export interface PhasedPlan {
  readonly plan: Plan
  /** Pending steps the phase leaves for later (the first is a contract migration). */
  readonly held: readonly PlanStep[]
}

/**
 * Cuts `plan` to what `phase` may apply.
 *
 * @example limitToPhase(planUpgrade(graph, rows, 'head'), 'expand').held // the contract steps
 */
export function limitToPhase(plan: Plan, phase: DeployPhase): PhasedPlan {
  if (plan.direction !== 'up' || phase === 'all') return { plan, held: [] }
  const firstContract = plan.steps.findIndex((step) => step.meta.phase === 'contract')
  if (phase === 'contract') {
    const before = firstContract < 0 ? plan.steps : plan.steps.slice(0, firstContract)
    if (firstContract > 0 && before.length > 0)
      throw new UsageError(
        `--phase contract: ${plural(before.length, 'migration')} before the first contract migration ${plan.steps[firstContract]!.revision} ${before.length === 1 ? 'is' : 'are'} not applied yet (${before.map((step) => step.revision).join(', ')})`,
        {
          hint: 'deploy them with --phase expand, roll the new release out to every instance, then run --phase contract',
        },
      )
    return { plan, held: [] }
  }
  if (firstContract < 0) return { plan, held: [] }
  const kept = plan.steps.slice(0, firstContract)
  const held = plan.steps.slice(firstContract)
  const rowsAfter = kept.length > 0 ? kept[kept.length - 1]!.rowsAfter : plan.rowsBefore
  return {
    plan: {
      ...plan,
      steps: kept,
      rowsAfter,
      note: kept.length > 0 ? undefined : `nothing to apply in the expand phase: ${heldNote(held)}`,
    },
    held,
  }
}

/** "2 migrations wait for --phase contract (starting with abc: drop old column)". */
export function heldNote(held: readonly PlanStep[]): string {
  const first = held[0]
  if (first === undefined) return ''
  return `${plural(held.length, 'migration')} wait${held.length === 1 ? 's' : ''} for --phase contract, starting with ${first.revision}${first.meta.message ? ` (${first.meta.message})` : ''}; run it once every application instance runs the new release`
}
