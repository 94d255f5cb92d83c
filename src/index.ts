/**
 * Strata's library API. The CLI is a thin layer over these functions: each returns
 * data, and the CLI only formats it.
 *
 * @example
 * import { defineConfig } from 'strata'
 * export default defineConfig({ databases: { primary: '${PRIMARY_DB_URL}' }, default: 'primary' })
 */
export * from './config/index.js'
export * from './db/index.js'
export type { DevServerStatus, DevStartResult } from './dev/index.js'
export { devConnectionSpec, devStart, devStatus, devStop } from './dev/index.js'
export * from './errors/index.js'
export { maskSecrets } from './util/mask-secrets.js'
