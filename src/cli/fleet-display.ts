import type { FleetPlan, FleetProgress, FleetReport, Tenant, TenantResult } from '../fleet/index.js'
import { formatDuration } from '../util/duration.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { plural } from '../util/plural.js'
import { logTimestamp } from '../util/timestamp.js'
import { colors, mark, table } from './output.js'

const STATUS_MARK: Record<TenantResult['status'], () => string> = {
  done: mark.ok,
  unchanged: mark.ok,
  failed: mark.fail,
  'not started': () => colors.dim('-'),
}

/**
 * The live view of a fleet run, on stderr. On a terminal: one line redrawn in place
 * (done / running / failed / remaining, rate, ETA) with each failure printed above it.
 * Anywhere else (CI logs, pipes): one timestamped line per finished tenant.
 */
export class FleetDisplay {
  readonly #live: boolean
  #lastDraw = 0

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#live = Boolean(stream.isTTY) && !quiet
  }

  plan(plan: FleetPlan, command: string): void {
    if (this.quiet) return
    const budget = plan.budget
      ? ` (from max_connections ${plan.budget.maxConnections}: ${plan.budget.inUse} in use, ${plan.budget.reserved} reserved${plan.budget.cpus === undefined ? '' : `; ${plural(plan.budget.cpus, 'CPU')} on this machine`})`
      : ''
    this.#write(
      `${logTimestamp()} ${command}: ${plural(plan.tenants.length, 'tenant')} by ${plan.source}, ${plan.concurrency} at a time${budget}\n`,
    )
    if (plan.leftOut.length > 0)
      this.#write(
        `${logTimestamp()} left out ${plural(plan.leftOut.length, 'database')} Strata made (restore and deploy copies): ${plan.leftOut.join(', ')}\n`,
      )
    if (plan.sharedLeftOut.length > 0)
      this.#write(
        `${logTimestamp()} left out ${plan.sharedLeftOut.join(', ')}: matched by a wildcard, but no tenant's (the server's own database, the shared schema); name it exactly or in --list to include it\n`,
      )
    if (plan.missing.length > 0)
      this.#write(
        `${logTimestamp()} ${mark.warn()} not found any more, skipped: ${plan.missing.join(', ')}\n`,
      )
  }

  started(_tenant: Tenant, progress: FleetProgress): void {
    if (this.#live) this.#draw(progress)
  }

  finished(result: TenantResult, progress: FleetProgress): void {
    if (this.quiet) return
    if (this.#live) {
      if (result.status === 'failed')
        this.#write(`\r\u001b[K${mark.fail()} ${result.tenant}: ${result.summary}\n`)
      this.#draw(progress, true)
      return
    }
    this.#write(
      `${logTimestamp()} ${STATUS_MARK[result.status]()} ${result.tenant}: ${result.summary} (${formatDuration(result.durationMs)}) [${progress.finished}/${progress.total}]\n`,
    )
  }

  notice(tenant: Tenant, line: string): void {
    if (this.quiet) return
    this.#write(`${this.#live ? '\r\u001b[K' : ''}${logTimestamp()} ${tenant.name}: ${line}\n`)
  }

  /** Says that no new tenant will start. */
  stopping(running: number): void {
    if (this.quiet) return
    this.#write(
      `${this.#live ? '\r\u001b[K' : ''}${logTimestamp()} stopping: no new tenant starts; ${plural(running, 'running tenant')} finish. Ctrl-C again to abort them.\n`,
    )
  }

  /** Clears the live line before the summary. */
  close(): void {
    if (this.#live) this.#write('\r\u001b[K')
  }

  #draw(progress: FleetProgress, force = false): void {
    const now = Date.now()
    // Redrawing for every tenant of a fast fleet would spend the terminal's time, not ours.
    if (!force && now - this.#lastDraw < 100) return
    if (force && now - this.#lastDraw < 50 && progress.finished < progress.total) return
    this.#lastDraw = now
    const width = 20
    const filled = progress.total === 0 ? width : Math.round((progress.finished / progress.total) * width)
    const eta = progress.etaMs === undefined ? '' : `  ETA ${formatDuration(Math.round(progress.etaMs))}`
    this.#write(
      `\r  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.finished}/${progress.total} done  ${progress.running.length} running  ${progress.failed} failed  ${progress.remaining} remaining  ${progress.rate.toFixed(1)}/s${eta}${progress.stopping ? '  (stopping)' : ''}\u001b[K`,
    )
  }

  #write(text: string): void {
    this.stream.write(maskSecrets(text))
  }
}

/** Tenants listed one by one up to this many; above it only those that need attention. */
const FULL_TABLE_LIMIT = 20

/**
 * The summary after a fleet run: counts per status, the tenants that need attention
 * (all of them for small fleets or with --verbose), where revisions stand for
 * `current`, the report's path and the command that resumes.
 */
export function fleetSummary(report: FleetReport, reportPath: string, verbose: boolean): string {
  const { counts } = report
  const rate = report.durationMs > 0 ? (counts.total * 1000) / report.durationMs : 0
  const lines = [
    `${report.command}${report.target === undefined ? '' : ` to ${report.target}`}: ${plural(counts.total, 'tenant')} in ${formatDuration(report.durationMs)} (${rate.toFixed(1)}/s, ${report.concurrency} at a time)${report.interrupted ? ', interrupted' : ''}`,
    '',
    table([
      ['status', 'tenants'],
      [
        report.command === 'upgrade' || report.command === 'downgrade' ? 'migrated' : 'ok',
        String(counts.done),
      ],
      ...(report.command === 'upgrade' || report.command === 'downgrade'
        ? [['already there', String(counts.unchanged)]]
        : []),
      ['failed', String(counts.failed)],
      ['not started', String(counts['not started'])],
    ]),
  ]
  if (report.command === 'current') lines.push('', revisionTable(report.tenants))
  const shown =
    verbose || report.tenants.length <= FULL_TABLE_LIMIT
      ? report.tenants
      : report.tenants.filter((tenant) => tenant.status === 'failed' || tenant.status === 'not started')
  const firstNotStarted = shown.findIndex((tenant) => tenant.status === 'not started')
  // A fail-fast run can leave hundreds not started: name a few, count the rest.
  const listed =
    verbose || firstNotStarted < 0
      ? shown
      : [
          ...shown.filter((tenant) => tenant.status !== 'not started'),
          ...shown.filter((tenant) => tenant.status === 'not started').slice(0, 5),
        ]
  if (listed.length > 0) {
    lines.push(
      '',
      table([
        ['', 'tenant', 'result', 'time'],
        ...listed.map((tenant) => [
          STATUS_MARK[tenant.status](),
          tenant.tenant,
          tenant.summary,
          tenant.status === 'not started' ? '' : formatDuration(tenant.durationMs),
        ]),
      ]),
    )
    const hidden = shown.length - listed.length
    if (hidden > 0) lines.push(`  … and ${plural(hidden, 'more tenant')} not started`)
  }
  lines.push('', `Report: ${reportPath}`)
  if (counts.failed + counts['not started'] > 0)
    lines.push(
      `Run the failed and not-started tenants again: strata tenants ${report.command}${report.target === undefined || report.target === 'head' ? '' : ` ${report.target}`} --only-failed ${reportPath}`,
    )
  return lines.join('\n')
}

/** `current`: how many tenants are at each revision, head first. */
function revisionTable(tenants: readonly TenantResult[]): string {
  const byRevision = new Map<string, string[]>()
  for (const tenant of tenants) {
    if (tenant.status !== 'done') continue
    const key = tenant.summary
    byRevision.set(key, [...(byRevision.get(key) ?? []), tenant.tenant])
  }
  const rows = [...byRevision.entries()].sort((a, b) => b[1].length - a[1].length)
  return table([
    ['revision', 'tenants', 'for example'],
    ...rows.map(([revision, names]) => [
      revision,
      String(names.length),
      names.slice(0, 3).join(', ') + (names.length > 3 ? ', …' : ''),
    ]),
  ])
}
