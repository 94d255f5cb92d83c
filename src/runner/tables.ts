import type { ResolvedConfig } from '../config/types.js'
import type { RunnerTables } from './run-plan.js'

/** The version and history tables a config names. */
export function runnerTables(config: ResolvedConfig): RunnerTables {
  const schema = config.migrations.versionTableSchema
  return {
    version: {
      schema,
      name: config.migrations.versionTable,
      ...(config.migrations.versionTableSchemaConfigured ? {} : { schemaByDefault: true as const }),
    },
    history: { schema, name: config.migrations.historyTable },
  }
}
