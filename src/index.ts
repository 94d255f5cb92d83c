/**
 * Strata's library API. The CLI is a thin layer over these functions: each returns
 * data, and the CLI only formats it.
 *
 * @example
 * import { defineConfig } from 'strata'
 * export default defineConfig({ databases: { primary: '${PRIMARY_DB_URL}' }, default: 'primary' })
 */
export * from './analysis/index.js'
export * from './autogenerate/index.js'
export * from './backup/index.js'
export * from './config/index.js'
export * from './db/index.js'
export * from './deploy/index.js'
export type { DevServerStatus, DevStartResult } from './dev/index.js'
export { devConnectionSpec, devStart, devStatus, devStop } from './dev/index.js'
export * from './diagnose/index.js'
export * from './diff/index.js'
export * from './errors/index.js'
export * from './fleet/index.js'
export type { MigrationMeta, MigrationSet } from './graph/index.js'
export { loadMigrations, RevisionGraph } from './graph/index.js'
export * from './health/index.js'
export * from './ops/index.js'
export type { MigrateOptions, MigrateResult } from './runner/migrate.js'
export { downgrade, upgrade } from './runner/migrate.js'
export { renderOfflineScript } from './runner/offline-script.js'
export type { DeployPhase } from './runner/phase.js'
export { stamp } from './runner/stamp.js'
export type { DatabaseStatus } from './runner/status.js'
export { databaseStatus } from './runner/status.js'
export { maskSecrets } from './util/mask-secrets.js'
