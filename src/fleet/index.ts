export type { ConnectionBudget } from './default-concurrency.js'
export { connectionBudget, MAX_DEFAULT_CONCURRENCY } from './default-concurrency.js'
export type { Discovery, DiscoveryOptions, TenantSelection } from './discover-tenants.js'
export { discoverTenants } from './discover-tenants.js'
export type { FleetReport } from './fleet-report.js'
export { tenantsToResume, writeFleetReport } from './fleet-report.js'
export type {
  FleetProgress,
  RunFleetOptions,
  TenantOutcome,
  TenantResult,
  TenantStatus,
} from './run-fleet.js'
export { runFleet } from './run-fleet.js'
export type { FleetPlan, TenantsCommandOptions, TenantsCommandResult } from './run-tenants-command.js'
export { runTenantsCommand } from './run-tenants-command.js'
export type { Tenant } from './tenant.js'
export { databaseTenant, schemaTenant, tenantLocation } from './tenant.js'
export type { FleetCommand } from './tenant-operations.js'
export { FLEET_COMMANDS, tenantOperation } from './tenant-operations.js'
