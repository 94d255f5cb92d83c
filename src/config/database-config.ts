import { isAbsolute, resolve } from 'node:path'
import { displayPath } from '../util/display-path.js'
import { interpolateEnv } from './interpolate-env.js'
import { requireUsableStateTables } from './state-table-names.js'
import type { ResolvedConfig } from './types.js'

/**
 * The config as one named database sees it: its own `migrations` keys (directories,
 * version table) over the top-level ones, like a section of a multi-database
 * `alembic.ini`. A name without its own migrations, or none, gives the config back.
 *
 * @example configForDatabase(config, 'analytics').migrations.directories
 */
export function configForDatabase(
  config: ResolvedConfig,
  name: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const entry = name === undefined ? undefined : config.databases[name]
  if (entry === undefined || typeof entry === 'string' || entry.migrations === undefined) return config
  const own = entry.migrations
  const where = config.file === undefined ? undefined : displayPath(config.file)
  const at = (path: string, index: number) => {
    const text = interpolateEnv(path, env, `databases.${name}.migrations.directories[${index}]`, where)
    return isAbsolute(text) ? text : resolve(config.rootDir, text)
  }
  const migrations = Object.freeze({
    ...config.migrations,
    ...(own.directories === undefined ? {} : { directories: [...new Set(own.directories.map(at))] }),
    ...(own.versionTable === undefined ? {} : { versionTable: own.versionTable }),
    ...(own.versionTableSchema === undefined
      ? {}
      : { versionTableSchema: own.versionTableSchema, versionTableSchemaConfigured: true }),
    ...(own.historyTable === undefined ? {} : { historyTable: own.historyTable }),
  })
  requireUsableStateTables(migrations, `databases.${name}.migrations`, where ?? 'the config')
  return Object.freeze({ ...config, migrations })
}
