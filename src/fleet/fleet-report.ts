import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileTimestamp } from '../backup/backup-names.js'
import { InvalidInputError } from '../errors/index.js'
import { ensureConfiguredDirectory } from '../util/ensure-directory.js'
import { maskedJson } from '../util/mask-secrets.js'
import type { TenantSelection } from './discover-tenants.js'
import type { TenantResult, TenantStatus } from './run-fleet.js'
import type { FleetCommand } from './tenant-operations.js'

/** Everything a fleet run did, tenant by tenant: printed with `--json`, written to a file. */
export interface FleetReport {
  readonly reportVersion: 1
  readonly command: FleetCommand
  /** upgrade / downgrade target. */
  readonly target: string | undefined
  /** How the tenants were found: `--match tenant_%`, `--schemas tenant_%`, `--list FILE`, `--only-failed FILE`. */
  readonly source: string
  /** The discovery flags, so that `--only-failed` finds the same tenants without them. */
  readonly selection: TenantSelection
  readonly concurrency: number
  readonly continueOnError: boolean
  readonly interrupted: boolean
  readonly startedAt: string
  readonly finishedAt: string
  readonly durationMs: number
  readonly counts: Readonly<Record<TenantStatus, number>> & { readonly total: number }
  readonly tenants: readonly TenantResult[]
}

/** Tenants per status, in the order the summary shows them. */
export function countByStatus(results: readonly TenantResult[]): FleetReport['counts'] {
  const counts = { total: results.length, done: 0, unchanged: 0, failed: 0, 'not started': 0 }
  for (const result of results) counts[result.status] += 1
  return counts
}

/**
 * Writes the report as `tenants_<command>_<time>.json` in `directory` and returns its
 * path. Never overwrites: two runs finishing in the same second get `_2`.
 */
export function writeFleetReport(directory: string, report: FleetReport): string {
  ensureConfiguredDirectory(directory, 'tenants.reportsDirectory')
  const base = `tenants_${report.command}_${fileTimestamp(new Date(report.finishedAt))}`
  for (let n = 1; ; n += 1) {
    const path = join(directory, `${base}${n === 1 ? '' : `_${n}`}.json`)
    try {
      writeFileSync(path, `${maskedJson(report, 2)}\n`, { flag: 'wx', mode: 0o600 })
      return path
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

/**
 * The tenants of an earlier report to run again: those that failed and those that never
 * started (fail-fast or an interrupted run). A report whose tenants all succeeded gives
 * an empty list.
 */
export function tenantsToResume(path: string): {
  command: FleetCommand
  selection: TenantSelection
  names: string[]
} {
  let report: FleetReport
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as FleetReport
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError(
      `cannot read the fleet report ${path}: ${code === 'ENOENT' ? 'no such file' : code === undefined ? 'it is not JSON' : (error as Error).message}`,
      {
        where: path,
        hint: 'give the tenants_<command>_<time>.json file an earlier run wrote (its path is in its summary), or its --json output',
      },
    )
  }
  if (report?.reportVersion !== 1 || !Array.isArray(report.tenants))
    throw new InvalidInputError(`${path} is not a Strata fleet report`, {
      where: path,
      hint: 'give the tenants_<command>_<time>.json file an earlier run wrote, or its --json output',
    })
  return {
    command: report.command,
    selection: report.selection ?? {},
    names: report.tenants
      .filter((tenant) => tenant.status === 'failed' || tenant.status === 'not started')
      .map((tenant) => tenant.tenant),
  }
}
