import type { ResolvedConfig } from '../config/types.js'
import { runnerTables } from '../runner/tables.js'

/**
 * Strata's own tables as `schema.table` (version, history, and the backfill
 * checkpoints kept beside the version table): part of no application schema, so drift
 * ignores them and no application role needs grants on them.
 */
export function strataTables(config: ResolvedConfig): Set<string> {
  const { version, history } = runnerTables(config)
  return new Set([
    `${version.schema}.${version.name}`,
    `${history.schema}.${history.name}`,
    `${version.schema}.strata_backfill`,
  ])
}
