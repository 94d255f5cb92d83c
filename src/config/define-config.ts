import type { StrataConfig } from './types.js'

/**
 * Identity function that gives `strata.config.ts` type checking and completion.
 * A plain `export default { ... }` works just as well.
 *
 * @example
 * import { defineConfig } from 'strata'
 * export default defineConfig({ databases: { primary: '${PRIMARY_DB_URL}' }, default: 'primary' })
 */
export function defineConfig(config: StrataConfig): StrataConfig {
  return config
}
