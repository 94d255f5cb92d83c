import { keptAfterRun } from '../backup/saved-data.js'
import { withConnection } from '../db/connect.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { DeployPhase } from '../runner/phase.js'
import { plural } from '../util/plural.js'
import type { TenantOutcome } from './run-fleet.js'
import type { Tenant } from './tenant.js'

/** The fleet commands: each runs the single-database function of the same name per tenant. */
export const FLEET_COMMANDS = ['upgrade', 'downgrade', 'current', 'check', 'verify', 'backup'] as const
export type FleetCommand = (typeof FLEET_COMMANDS)[number]

export interface TenantOperationOptions {
  readonly command: FleetCommand
  readonly migrations: MigrationSet
  /** upgrade / downgrade: where to go (`head`, `-1`, a revision). */
  readonly target?: string
  /** upgrade: which part of the expand/contract sequence. */
  readonly phase?: DeployPhase
  /**
   * upgrade: a verified backup of each tenant first (`--backup`, or `backup.beforeUpgrade`);
   * downgrade: false skips the backup of the data it destroys (`--no-backup`).
   */
  readonly backupFirst?: boolean
  /** `-x KEY=VALUE`; each tenant also gets `tenant=<name>` unless given here. */
  readonly args?: Readonly<Record<string, string>>
  /** Lock waits and drift warnings, prefixed with the tenant by the caller. */
  readonly onNotice?: (tenant: Tenant, line: string) => void
}

/**
 * The work for one tenant: exactly what the single-database command does (`upgrade`
 * takes the same migration lock, runs one transaction per migration with the same
 * lock-timeout retries, and writes the same history rows), reduced to an outcome.
 */
export function tenantOperation(options: TenantOperationOptions): (tenant: Tenant) => Promise<TenantOutcome> {
  const operations: Record<FleetCommand, (tenant: Tenant) => Promise<TenantOutcome>> = {
    upgrade: (tenant) => migrateTenant(options, tenant, 'up'),
    downgrade: (tenant) => migrateTenant(options, tenant, 'down'),
    current: (tenant) => currentOfTenant(options, tenant),
    check: (tenant) => checkTenant(options, tenant),
    verify: (tenant) => verifyTenant(options, tenant),
    backup: (tenant) => backupTenant(tenant),
  }
  return operations[options.command]
}

function tenantArgs(options: TenantOperationOptions, tenant: Tenant): Record<string, string> {
  return { tenant: tenant.name, ...(options.args ?? {}) }
}

async function migrateTenant(
  options: TenantOperationOptions,
  tenant: Tenant,
  direction: 'up' | 'down',
): Promise<TenantOutcome> {
  const { upgrade, downgrade } = await import('../runner/migrate.js')
  const onNotice = (line: string) => options.onNotice?.(tenant, line)
  const { backupFirst } = await import('../backup/backup-first.js')
  // As `strata upgrade | downgrade` do, with the tenant's schema as the backup's scope.
  const backup = await backupFirst({
    config: tenant.config,
    spec: tenant.spec,
    migrations: options.migrations,
    direction,
    target: options.target ?? (direction === 'up' ? 'head' : '-1'),
    requested: options.backupFirst,
    ...(options.phase === undefined ? {} : { phase: options.phase }),
    args: tenantArgs(options, tenant),
    onProgress: onNotice,
    ...(tenant.schema === undefined ? {} : { schema: tenant.schema }),
  })
  const migrateOptions = {
    config: tenant.config,
    spec: tenant.spec,
    migrations: options.migrations,
    args: tenantArgs(options, tenant),
    onNotice,
    ...(backup === undefined ? {} : { backupId: backup.id }),
    ...(options.phase === undefined ? {} : { phase: options.phase }),
  }
  const result =
    direction === 'up'
      ? await upgrade(migrateOptions, options.target ?? 'head')
      : await downgrade(migrateOptions, options.target ?? '-1')
  const before = result.rowsBefore.join(', ') || 'base'
  const after = result.rowsAfter.join(', ') || 'base'
  // As `strata upgrade | downgrade` say it: where the data the run destroyed is kept.
  const kept = backup?.ofDestroyedData && result.steps.length > 0 ? keptAfterRun(backup.id) : ''
  return {
    status: result.steps.length > 0 ? 'done' : 'unchanged',
    summary:
      result.steps.length > 0
        ? `${before} -> ${after} (${plural(result.steps.length, 'migration')})${kept}`
        : (result.note ?? `at ${after}`),
    revisionsBefore: result.rowsBefore,
    revisionsAfter: result.rowsAfter,
    steps: result.steps.length,
    data: backup === undefined ? result : { ...result, backupId: backup.id },
  }
}

async function currentOfTenant(options: TenantOperationOptions, tenant: Tenant): Promise<TenantOutcome> {
  const { databaseStatus } = await import('../runner/status.js')
  const { runnerTables } = await import('../runner/tables.js')
  const status = await databaseStatus(tenant.spec, options.migrations, runnerTables(tenant.config))
  const rows = status.rows.join(', ') || 'base'
  return {
    status: 'done',
    summary: status.atHead
      ? `${rows} (head)`
      : `${rows}${status.unknownRows.length > 0 ? ` (unknown to the migrations: ${status.unknownRows.join(', ')})` : ''}, ${plural(status.pending.length, 'migration')} pending`,
    revisionsBefore: status.rows,
    revisionsAfter: status.rows,
    data: status,
  }
}

async function checkTenant(options: TenantOperationOptions, tenant: Tenant): Promise<TenantOutcome> {
  const { checkMigrations } = await import('../analysis/check.js')
  const report = await withConnection(tenant.spec, (connection) =>
    checkMigrations({
      config: tenant.config,
      migrations: options.migrations,
      client: connection.client,
      args: tenantArgs(options, tenant),
    }),
  )
  const { throwIfUnreadable } = await import('../analysis/unreadable-migration.js')
  throwIfUnreadable(report.unreadable)
  const { errors, warnings } = report.counts
  return {
    status: errors > 0 ? 'failed' : 'done',
    summary:
      report.migrations.length === 0
        ? 'no pending migration'
        : `${plural(report.migrations.length, 'pending migration')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
    data: report,
  }
}

async function verifyTenant(options: TenantOperationOptions, tenant: Tenant): Promise<TenantOutcome> {
  const { verifyDatabase } = await import('../health/verify.js')
  const report = await verifyDatabase({
    config: tenant.config,
    spec: tenant.spec,
    migrations: options.migrations,
    args: tenantArgs(options, tenant),
  })
  const failed = report.checks.filter((check) => check.status === 'fail')
  return {
    status: report.ok ? 'done' : 'failed',
    summary: report.ok
      ? `${plural(report.checks.length, 'check')} passed`
      : failed.map((check) => `${check.title}: ${check.summary}`).join('; '),
    data: report,
  }
}

async function backupTenant(tenant: Tenant): Promise<TenantOutcome> {
  const { createBackup } = await import('../backup/create-backup.js')
  const result = await createBackup({
    config: tenant.config,
    spec: tenant.spec,
    ...(tenant.schema === undefined ? {} : { schemas: [tenant.schema] }),
  })
  return {
    status: 'done',
    summary: `${result.manifest.file} (${Math.round(result.manifest.sizeBytes / 1024)} KiB)`,
    revisionsBefore: result.manifest.revisions,
    revisionsAfter: result.manifest.revisions,
    data: result.manifest,
  }
}
