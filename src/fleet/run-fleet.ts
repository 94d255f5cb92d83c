import { describeError } from '../errors/index.js'
import { type Tenant, tenantLocation } from './tenant.js'

/** What one tenant's work came to. `unchanged`: nothing to do (already at the target). */
export interface TenantOutcome {
  readonly status: 'done' | 'unchanged' | 'failed'
  /** One line for people: `3f2a…01 -> 3f2a…05 (4 migrations)`, `at head`, the error. */
  readonly summary: string
  readonly revisionsBefore?: readonly string[]
  readonly revisionsAfter?: readonly string[]
  readonly steps?: number
  /** The full result of the single-database function, for the --json report. */
  readonly data?: unknown
  /** The error as lines (message, where, hint, SQLSTATE), when it threw. */
  readonly error?: readonly string[]
}

export type TenantStatus = TenantOutcome['status'] | 'not started'

/** A tenant's line in the fleet report. */
export interface TenantResult extends Omit<TenantOutcome, 'status'> {
  readonly tenant: string
  readonly kind: Tenant['kind']
  /** Where it lives, without secrets. */
  readonly location: string
  readonly status: TenantStatus
  readonly durationMs: number
}

/** Where a fleet run is, after each tenant starts or finishes. */
export interface FleetProgress {
  readonly total: number
  /** Finished, whatever the outcome. */
  readonly finished: number
  readonly failed: number
  readonly running: readonly string[]
  readonly remaining: number
  readonly elapsedMs: number
  /** Tenants finished per second so far. */
  readonly rate: number
  /** Estimated time to finish the rest; undefined before the first tenant finishes. */
  readonly etaMs: number | undefined
  /** Fail-fast tripped or interrupted: no new tenant starts. */
  readonly stopping: boolean
}

export interface RunFleetOptions {
  /** Tenants worked on at once. */
  readonly concurrency: number
  /** Keep starting tenants after one failed (default: stop starting new ones). */
  readonly continueOnError?: boolean
  /** Aborted (Ctrl-C): start no new tenant; those running finish. */
  readonly stop?: AbortSignal
  readonly onStart?: (tenant: Tenant, progress: FleetProgress) => void
  readonly onFinish?: (result: TenantResult, progress: FleetProgress) => void
}

/**
 * Works through the tenants, `concurrency` at a time, in one process. A tenant that
 * fails does not stop the others already running; by default no new tenant starts
 * after a failure (fail-fast), and `continueOnError` carries on to the end. Tenants never
 * started are reported as `not started`, so a later run can resume with them.
 */
export async function runFleet(
  tenants: readonly Tenant[],
  work: (tenant: Tenant) => Promise<TenantOutcome>,
  options: RunFleetOptions,
): Promise<TenantResult[]> {
  const results = new Map<Tenant, TenantResult>()
  const running = new Set<string>()
  const started = Date.now()
  let next = 0
  let failed = 0
  let failedFast = false
  const stopping = () => failedFast || Boolean(options.stop?.aborted)
  const progress = (): FleetProgress => {
    const elapsedMs = Date.now() - started
    const finished = results.size
    const rate = elapsedMs > 0 ? (finished * 1000) / elapsedMs : 0
    const remaining = tenants.length - finished - running.size
    return {
      total: tenants.length,
      finished,
      failed,
      running: [...running],
      remaining,
      elapsedMs,
      rate,
      etaMs: finished > 0 && rate > 0 ? ((remaining + running.size) / rate) * 1000 : undefined,
      stopping: stopping(),
    }
  }

  const worker = async () => {
    while (next < tenants.length && !stopping()) {
      const tenant = tenants[next++]!
      running.add(tenant.name)
      options.onStart?.(tenant, progress())
      const began = Date.now()
      let outcome: TenantOutcome
      try {
        outcome = await work(tenant)
      } catch (error) {
        const lines = describeError(error)
        outcome = { status: 'failed', summary: lines[0]!, error: lines }
      }
      running.delete(tenant.name)
      if (outcome.status === 'failed') {
        failed += 1
        if (!options.continueOnError) failedFast = true
      }
      const result: TenantResult = {
        tenant: tenant.name,
        kind: tenant.kind,
        location: tenantLocation(tenant),
        ...outcome,
        durationMs: Date.now() - began,
      }
      results.set(tenant, result)
      options.onFinish?.(result, progress())
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency, tenants.length))
  await Promise.all(Array.from({ length: workers }, worker))

  return tenants.map(
    (tenant) =>
      results.get(tenant) ?? {
        tenant: tenant.name,
        kind: tenant.kind,
        location: tenantLocation(tenant),
        status: 'not started' as const,
        summary: options.stop?.aborted
          ? 'not started: the run was interrupted'
          : 'not started: an earlier tenant failed',
        durationMs: 0,
      },
  )
}
