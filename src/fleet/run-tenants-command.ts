import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { notifyTeam, type TeamNotice } from '../deploy/notify-team.js'
import { InvalidInputError } from '../errors/index.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import type { DeployPhase } from '../runner/phase.js'
import { formatDuration } from '../util/duration.js'
import { operatorName } from '../util/operator.js'
import { type ConnectionBudget, connectionBudget, SESSIONS_PER_TENANT } from './default-concurrency.js'
import { type Discovery, discoverTenants, type TenantSelection } from './discover-tenants.js'
import { countByStatus, type FleetReport, tenantsToResume, writeFleetReport } from './fleet-report.js'
import { type FleetProgress, runFleet, type TenantResult } from './run-fleet.js'
import type { Tenant } from './tenant.js'
import { type FleetCommand, tenantOperation } from './tenant-operations.js'

export interface TenantsCommandOptions {
  readonly config: ResolvedConfig
  readonly command: FleetCommand
  /** upgrade (default `head`) / downgrade (required) target. */
  readonly target?: string
  readonly phase?: DeployPhase
  readonly backupFirst?: boolean
  readonly args?: Readonly<Record<string, string>>
  readonly selection: TenantSelection
  /** The selected database (`--url`, `-n`, ...): the default server, and the database of tenant schemas. */
  readonly selectedSpec: () => Promise<ConnectionSpec>
  /** Default: `tenants.concurrency`, else derived from the server's free connections. */
  readonly concurrency?: number
  readonly continueOnError?: boolean
  /** A report of an earlier run: only its failed and not-started tenants run. */
  readonly onlyFailed?: string
  /** Where the report is written. Default: `tenants.reportsDirectory`. */
  readonly reportsDirectory?: string
  readonly migrations?: MigrationSet
  readonly stop?: AbortSignal
  /** Called once the tenants are known, before the first one starts. */
  readonly onPlan?: (plan: FleetPlan) => void
  readonly onStart?: (tenant: Tenant, progress: FleetProgress) => void
  readonly onFinish?: (result: TenantResult, progress: FleetProgress) => void
  readonly onNotice?: (tenant: Tenant, line: string) => void
  /** A notification (`deploy.notify`) that could not be sent. */
  readonly onWarning?: (line: string) => void
}

/** What a run is about to do. */
export interface FleetPlan {
  readonly tenants: readonly Tenant[]
  readonly source: string
  readonly concurrency: number
  /** Set when the concurrency was derived from the server. */
  readonly budget: ConnectionBudget | undefined
  /** Matching databases left out because Strata made them. */
  readonly leftOut: readonly string[]
  /** `postgres` or `public`, matched by a wildcard and left out (see `Discovery`). */
  readonly sharedLeftOut: readonly string[]
  /** `--only-failed`: tenants of the report that discovery no longer finds. */
  readonly missing: readonly string[]
}

export interface TenantsCommandResult {
  readonly plan: FleetPlan
  readonly report: FleetReport
  /** The report file. */
  readonly reportPath: string
}

/**
 * `strata tenants <command>`: finds the tenants, picks the concurrency, and runs the
 * single-database command for each in one process, then writes the report. Tenant
 * failures are in the report (exit 1 for the CLI); only bad input throws.
 *
 * @example
 * const { report } = await runTenantsCommand({
 *   config, command: 'upgrade', selection: { match: 'tenant_%' }, selectedSpec: async () => spec,
 * })
 */
export async function runTenantsCommand(options: TenantsCommandOptions): Promise<TenantsCommandResult> {
  const { config } = options
  const migrations = options.migrations ?? (await loadMigrations(config))
  const resume = options.onlyFailed === undefined ? undefined : tenantsToResume(options.onlyFailed)
  const discovery = await discoverTenants({
    config,
    // Resuming without discovery flags finds the tenants the way the report's run did.
    selection:
      resume !== undefined && !hasDiscoveryFlags(options.selection) ? resume.selection : options.selection,
    selectedSpec: options.selectedSpec,
  })
  const { tenants, missing } =
    resume === undefined ? { tenants: discovery.tenants, missing: [] } : pick(discovery, resume.names)
  if (tenants.length === 0 && resume === undefined) throw noTenants(discovery)
  const fixed = options.concurrency ?? config.tenants.concurrency
  const budgets = tenants.length > 0 ? await serverBudgets(tenants) : []
  if (fixed !== undefined)
    refuseBeyondFreeConnections(
      fixed,
      options.concurrency === undefined ? 'tenants.concurrency' : '--concurrency',
      budgets,
    )
  const budget = fixed === undefined && budgets.length > 0 ? smallestBudget(budgets) : undefined
  const concurrency = fixed ?? budget?.concurrency ?? 1
  const plan: FleetPlan = {
    tenants,
    source:
      resume === undefined ? discovery.source : `--only-failed ${options.onlyFailed} (${discovery.source})`,
    concurrency,
    budget,
    leftOut: discovery.leftOut,
    sharedLeftOut: discovery.sharedLeftOut,
    missing,
  }
  options.onPlan?.(plan)

  const startedAt = new Date()
  const results = await runFleet(
    tenants,
    tenantOperation({
      command: options.command,
      migrations,
      ...(options.target === undefined ? {} : { target: options.target }),
      ...(options.phase === undefined ? {} : { phase: options.phase }),
      ...(options.backupFirst === undefined ? {} : { backupFirst: options.backupFirst }),
      ...(options.args === undefined ? {} : { args: options.args }),
      ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
    }),
    {
      concurrency,
      continueOnError: Boolean(options.continueOnError),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
      ...(options.onStart === undefined ? {} : { onStart: options.onStart }),
      ...(options.onFinish === undefined ? {} : { onFinish: options.onFinish }),
    },
  )
  const finishedAt = new Date()
  const report: FleetReport = {
    reportVersion: 1,
    command: options.command,
    target: options.command === 'upgrade' ? (options.target ?? 'head') : options.target,
    source: plan.source,
    selection: options.selection,
    concurrency,
    continueOnError: Boolean(options.continueOnError),
    interrupted: Boolean(options.stop?.aborted),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    counts: countByStatus(results),
    tenants: results,
  }
  const reportPath = writeFleetReport(options.reportsDirectory ?? config.tenants.reportsDirectory, report)
  if ((options.command === 'upgrade' || options.command === 'downgrade') && tenants.length > 0)
    await notifyTeam(
      config,
      fleetNotice(report, reportPath, options.command),
      options.onWarning ?? (() => undefined),
    )
  return { plan, report, reportPath }
}

/** A fleet run that changed tenants, as the team hears of it (`deploy.notify`). */
function fleetNotice(report: FleetReport, reportPath: string, command: 'upgrade' | 'downgrade'): TeamNotice {
  const { counts } = report
  const complete = counts.failed + counts['not started'] === 0 && !report.interrupted
  const operator = operatorName()
  return {
    event: complete ? 'fleet-done' : 'fleet-failed',
    action: `tenants ${command}`,
    text: `tenants ${command}${report.target ? ` to ${report.target}` : ''} by ${operator} (${report.source}): ${counts.done} done, ${counts.unchanged} unchanged, ${counts.failed} failed, ${counts['not started']} not started${report.interrupted ? ' (interrupted)' : ''} in ${formatDuration(report.durationMs)}; report ${reportPath}`,
    database: report.source,
    operator,
    from: [],
    to: report.target === undefined ? [] : [report.target],
    report: reportPath,
  }
}

function hasDiscoveryFlags(selection: TenantSelection): boolean {
  return selection.match !== undefined || selection.schemas !== undefined || selection.list !== undefined
}

function pick(discovery: Discovery, names: readonly string[]): { tenants: Tenant[]; missing: string[] } {
  const wanted = new Set(names)
  const tenants = discovery.tenants.filter((tenant) => wanted.has(tenant.name))
  const found = new Set(tenants.map((tenant) => tenant.name))
  return { tenants, missing: names.filter((name) => !found.has(name)) }
}

function noTenants(discovery: Discovery): InvalidInputError {
  const shared = discovery.sharedLeftOut
  if (shared.length > 0)
    return new InvalidInputError(
      `no tenant found by ${discovery.source}: it matches only ${shared.join(', ')}, which a wildcard leaves out (the server's own database, the shared schema)`,
      {
        hint: `to run it there on purpose, name it exactly: --${discovery.source.startsWith('--schemas') ? 'schemas' : 'match'} ${shared[0]}`,
      },
    )
  return new InvalidInputError(`no tenant found by ${discovery.source}`, {
    hint: discovery.source.startsWith('--list')
      ? 'the list names no tenant'
      : "the pattern is SQL LIKE: % matches any run of characters, _ any one character (e.g. 'tenant_%'); check the server with `strata diagnose` or psql",
  })
}

/** Each server of the run: its free connections, and how many of the tenants it holds. */
interface ServerBudget {
  readonly server: string
  readonly tenants: number
  readonly budget: ConnectionBudget
}

async function serverBudgets(tenants: readonly Tenant[]): Promise<ServerBudget[]> {
  const servers = new Map<string, { spec: ConnectionSpec; tenants: number }>()
  for (const tenant of tenants) {
    const key = `${tenant.spec.host}:${tenant.spec.port}`
    const server = servers.get(key)
    if (server === undefined) servers.set(key, { spec: tenant.spec, tenants: 1 })
    else server.tenants += 1
  }
  return Promise.all(
    [...servers].map(async ([server, { spec, tenants: count }]) => ({
      server,
      tenants: count,
      budget: await connectionBudget(spec),
    })),
  )
}

/** Several servers: the one with the fewest free connections sets the pace. */
function smallestBudget(budgets: readonly ServerBudget[]): ConnectionBudget {
  return budgets
    .map((server) => server.budget)
    .reduce((smallest, budget) => (budget.concurrency < smallest.concurrency ? budget : smallest))
}

/**
 * A concurrency chosen by hand is the user's, up to what a server can hold: more tenants
 * at once than its free connections allow would fail tenants half-way through the run
 * and refuse the application its connections meanwhile. Said before any tenant starts.
 */
function refuseBeyondFreeConnections(
  concurrency: number,
  origin: '--concurrency' | 'tenants.concurrency',
  budgets: readonly ServerBudget[],
): void {
  for (const { server, tenants, budget } of budgets) {
    const atOnce = Math.min(concurrency, tenants)
    if (atOnce <= budget.ceiling) continue
    const free = budget.maxConnections - budget.reserved - budget.inUse
    throw new InvalidInputError(
      `${origin} ${concurrency} would migrate ${atOnce} tenants of ${server} at once, with up to ${SESSIONS_PER_TENANT} sessions each; the server has ${Math.max(0, free)} connections free (max_connections ${budget.maxConnections}, ${budget.reserved} reserved, ${budget.inUse} in use), and the application would be refused its own. Nothing was started`,
      {
        ...(origin === 'tenants.concurrency' ? { where: 'tenants.concurrency in the config' } : {}),
        hint: `use ${origin} ${budget.concurrency} (half the free connections, the rest left to the application) or at most ${budget.ceiling}; or leave it out to have it chosen from the free connections`,
      },
    )
  }
}
