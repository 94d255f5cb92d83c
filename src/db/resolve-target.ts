import { interpolateDeep } from '../config/interpolate-env.js'
import type { DatabaseConfig, ResolvedConfig } from '../config/types.js'
import { ConfigError, InvalidInputError } from '../errors/index.js'
import { didYouMean } from '../util/closest-match.js'
import { displayPath } from '../util/display-path.js'
import {
  type ConnectionSpec,
  parseConnectionString,
  type SpecDefaults,
  specFromEnv,
  specFromFields,
} from './connection-spec.js'

/** Where the database of a command came from, in the order Strata looks. */
export type TargetSource =
  | '--url'
  | '-n'
  | 'DATABASE_URL'
  | 'config default'
  | 'PG* variables'
  | 'embedded dev server'

/**
 * The database a command works on. `spec` is undefined for the embedded development
 * server, whose address is known only once it runs (see `openTarget`).
 */
export interface DatabaseTarget {
  readonly source: TargetSource
  /** The config name (`primary`) when the target came from the config. */
  readonly name: string | undefined
  readonly spec: ConnectionSpec | undefined
}

export interface TargetSelection {
  url?: string | undefined
  name?: string | undefined
}

const LIBPQ_TARGET_VARIABLES = [
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGSERVICE',
] as const

/**
 * Decides which database to use: `--url` > `-n NAME` > `DATABASE_URL` > the config's
 * `default` (or its only database) > libpq `PG*` variables > the embedded development
 * server, which is never chosen over several configured databases.
 */
export function resolveTarget(
  selection: TargetSelection,
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTarget {
  const defaults = {
    env,
    connectTimeout: config.connection.connectTimeout,
    applicationName: config.connection.applicationName,
  }
  if (selection.url !== undefined) {
    return { source: '--url', name: undefined, spec: parseNamed(selection.url, defaults, '--url') }
  }
  if (selection.name !== undefined) {
    return { source: '-n', name: selection.name, spec: namedDatabaseSpec(selection.name, config, env) }
  }
  if (env.DATABASE_URL) {
    return {
      source: 'DATABASE_URL',
      name: undefined,
      spec: parseNamed(env.DATABASE_URL, defaults, 'DATABASE_URL'),
    }
  }
  if (config.default !== undefined) {
    return {
      source: 'config default',
      name: config.default,
      spec: namedDatabaseSpec(config.default, config, env),
    }
  }
  if (LIBPQ_TARGET_VARIABLES.some((variable) => env[variable])) {
    return { source: 'PG* variables', name: undefined, spec: specFromEnv(defaults) }
  }
  const configured = Object.keys(config.databases)
  if (configured.length > 1) {
    // Several databases and none chosen: the development server is not what was meant.
    const where = config.file === undefined ? 'the config' : displayPath(config.file)
    throw new ConfigError(
      `${where} configures ${configured.length} databases (${configured.join(', ')}) and no default, so it is not clear which this command is for`,
      {
        where,
        hint: `name one with -n ${configured[0]}, or add default: '${configured[0]}' to the config (--url and DATABASE_URL work too)`,
      },
    )
  }
  return { source: 'embedded dev server', name: undefined, spec: undefined }
}

/** The connection spec of a database named in the config. */
export function namedDatabaseSpec(
  name: string,
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
): ConnectionSpec {
  const where = config.file === undefined ? 'no config file' : displayPath(config.file)
  const entry = config.databases[name]
  if (entry === undefined) {
    const known = Object.keys(config.databases)
    throw new ConfigError(
      `no database named "${name}" in ${where}.${didYouMean(name, known)}${known.length > 0 ? ` Known: ${known.join(', ')}.` : ''}`,
      { where, hint: 'add it under `databases` in the config, or pass --url' },
    )
  }
  const defaults = {
    env,
    connectTimeout: config.connection.connectTimeout,
    applicationName: config.connection.applicationName,
  }
  const resolved = interpolateDeep(entry, env, `databases.${name}`, where)
  if (typeof resolved === 'string') return parseNamed(resolved, defaults, `databases.${name} in ${where}`)
  // `migrations` says where this database's files are, not how to connect to it.
  const { url, migrations: _ownMigrations, ...fields } = resolved as DatabaseConfig
  if (url !== undefined) {
    const fromUrl = parseNamed(url, defaults, `databases.${name}.url in ${where}`)
    return { ...fromUrl, ...definedOnly(fields) }
  }
  return specFromFields(fields, defaults)
}

/** Parses a connection string; a bad one is reported with where it was given. */
function parseNamed(text: string, defaults: SpecDefaults, where: string): ConnectionSpec {
  try {
    return parseConnectionString(text, defaults)
  } catch (error) {
    if (!(error instanceof InvalidInputError) || error.where !== undefined) throw error
    // `$DATABASE_URL` as a shell writes it: Strata expands only `${NAME}`.
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text.trim())?.[1]
    const hint =
      bare === undefined
        ? error.hint
        : `the config expands \${${bare}} (with braces), not $${bare}: write '\${${bare}}'`
    throw new InvalidInputError(error.message, { where, ...(hint ? { hint } : {}) })
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>
}
