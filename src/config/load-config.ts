import { existsSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { ConfigError } from '../errors/index.js'
import { DEFAULT_FILE_TEMPLATE, fileTemplateProblem } from '../graph/revision-file-name.js'
import { withoutByteOrderMark } from '../util/byte-order-mark.js'
import { displayPath } from '../util/display-path.js'
import { MAX_POSTGRES_TIMEOUT_MS, parseDuration } from '../util/duration.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { lineAndColumn } from '../util/source-position.js'
import { configSchema } from './config-schema.js'
import { describeLoadFailure } from './describe-load-failure.js'
import { applyDotenv } from './dotenv.js'
import { importModule } from './import-module.js'
import { interpolateDeep } from './interpolate-env.js'
import { isPlainObject, validate } from './schema.js'
import { requireUsableStateTables } from './state-table-names.js'
import type { DeployNotifyConfig, HealthConfig, ResolvedConfig, StrataConfig } from './types.js'

/** Names looked for, in this order, in the working directory (and above it, inside a repository). */
export const CONFIG_FILE_NAMES = [
  'strata.config.ts',
  'strata.config.mts',
  'strata.config.js',
  'strata.config.mjs',
  'strata.config.json',
] as const

export interface LoadConfigOptions {
  /** An explicit file (`-c FILE`); it must exist. */
  file?: string
  /** Where to look for a config file. Default: the working directory. */
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Finds the config file in `cwd` or, inside a git repository, in the nearest directory
 * above it up to the repository's root, as git finds its own: `strata current` run in
 * `src/` uses the project's config (its paths are relative to the file, so nothing
 * changes meaning). Outside a repository only `cwd` is looked at, so that a stray
 * config in a parent directory (a home directory, /tmp) is never picked up.
 */
export function findConfigFile(cwd: string): string | undefined {
  const start = resolve(cwd)
  const top = repositoryRoot(start) ?? start
  for (let dir = start; ; dir = dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
    if (dir === top || dirname(dir) === dir) return undefined
  }
}

/** The nearest directory at or above `dir` holding `.git` (a directory, or a worktree's file). */
function repositoryRoot(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current
    if (dirname(current) === current) return undefined
  }
}

/**
 * Loads, validates and resolves the configuration. Without a config file every
 * default applies (the embedded development server, `migrations/versions`).
 *
 * @example const config = await loadConfig({ file: 'strata.config.ts' })
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  let file: string | undefined
  if (options.file !== undefined) {
    file = resolve(cwd, options.file)
    if (!existsSync(file)) {
      throw new ConfigError(`config file ${options.file} does not exist`, {
        hint: 'check the path given with -c/--config, or run `strata init` to create one',
      })
    }
    if (statSync(file).isDirectory()) file = configFileIn(file, options.file)
  } else {
    file = findConfigFile(cwd)
  }
  const rootDir = file === undefined ? cwd : dirname(file)
  // Before the config file: its ${VAR}s, DATABASE_URL and the PG* variables may come from .env.
  const dotenv = applyDotenv(rootDir, env)
  const raw = file === undefined ? {} : await readConfigFile(file)
  const config = resolveConfig(raw, file, rootDir, env)
  return dotenv === undefined || dotenv.keys.length === 0 ? config : Object.freeze({ ...config, dotenv })
}

/** `-c DIR`: the project's config file in that directory, as if run there. */
function configFileIn(dir: string, given: string): string {
  const found = CONFIG_FILE_NAMES.map((name) => join(dir, name)).find((candidate) => existsSync(candidate))
  if (found !== undefined) return found
  throw new ConfigError(`${given} is a directory without a config file (${CONFIG_FILE_NAMES.join(', ')})`, {
    hint: `name the config file with -c/--config, or create one there: strata init ${given}`,
  })
}

async function readConfigFile(file: string): Promise<unknown> {
  const shown = displayPath(file)
  if (file.endsWith('.json')) {
    const text = withoutByteOrderMark(readFileSync(file, 'utf8'))
    try {
      return JSON.parse(text)
    } catch (error) {
      // V8 names the offset ("... in JSON at position 61"); a person looks for a line.
      const message = (error as Error).message
      const position = /at position (\d+)/.exec(message)?.[1]
      const at = position === undefined ? undefined : lineAndColumn(text, Number(position))
      throw new ConfigError(
        `${shown} is not valid JSON: ${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ at position \d+/, '')}${at ? ` (line ${at.line}, column ${at.column}: ${maskSecrets(text.split('\n')[at.line - 1]?.trim() ?? '')})` : ''}`,
        {
          where: at ? `${shown}:${at.line}:${at.column}` : shown,
          hint: 'fix the JSON syntax (no comments or trailing commas in .json; use strata.config.ts for those)',
        },
      )
    }
  }
  let loaded: Record<string, unknown>
  try {
    loaded = await importModule(file)
  } catch (error) {
    throw describeLoadFailure(error, file, shown)
  }
  if (!('default' in loaded)) {
    throw new ConfigError(`${shown} has no default export`, {
      where: shown,
      hint: 'write `export default defineConfig({ ... })` (or `export default { ... }`)',
    })
  }
  return loaded.default
}

/** Validates a raw config object and fills in defaults. Exposed for tests and tools. */
export function resolveConfig(
  raw: unknown,
  file: string | undefined,
  rootDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const shown = file === undefined ? 'config' : displayPath(file)
  if (!isPlainObject(raw)) {
    const found = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`
    const what = file?.endsWith('.json') ? 'the file' : 'the default export'
    throw new ConfigError(
      `${shown}: ${what} must be an object ({ databases: ..., migrations: ... }), found ${found}`,
      {
        where: shown,
        hint: 'see README.md, "Configuration", for every key',
      },
    )
  }
  // Databases are interpolated when one is selected, so that a variable needed only by
  // another database does not stop this command. Everything else is interpolated first
  // and then validated, so `${PORT}` is checked as the number it becomes.
  const { databases, ...rest } = raw
  const interpolatedRest = interpolateDeep(rest, env, '', file === undefined ? undefined : shown)
  const problems = validate(
    databases === undefined ? interpolatedRest : { databases, ...interpolatedRest },
    configSchema,
  )
  if (problems.length > 0) {
    const lines = problems.map((problem) => `${shown}: ${problem.path}: ${problem.message}`)
    throw new ConfigError(lines.join('\n'), {
      where: shown,
      hint: 'see README.md, "Configuration", for every key',
    })
  }
  const interpolated = interpolatedRest as Omit<StrataConfig, 'databases'>
  const configuredDatabases = (databases ?? {}) as NonNullable<StrataConfig['databases']>
  if (interpolated.default !== undefined && !(interpolated.default in configuredDatabases)) {
    throw new ConfigError(
      `${shown}: default: names the database "${interpolated.default}", which is not in databases (${Object.keys(configuredDatabases).join(', ') || 'none defined'})`,
      { where: shown },
    )
  }
  const fileTemplate = interpolated.migrations?.fileTemplate ?? DEFAULT_FILE_TEMPLATE
  const templateProblem = fileTemplateProblem(fileTemplate)
  if (templateProblem !== undefined)
    throw new ConfigError(`${shown}: migrations.fileTemplate: "${fileTemplate}" ${templateProblem}`, {
      where: shown,
      hint: "e.g. fileTemplate: '%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s' (Alembic's file_template, without the ini's doubled %%)",
    })
  const duration = (value: string | number | undefined, fallback: string | number, key: string) =>
    durationSetting(value ?? fallback, key, shown)
  const at = (path: string) => (isAbsolute(path) ? path : resolve(rootDir, path))
  const migrations = {
    // A directory listed twice ('migrations/versions' and 'migrations/versions/') is one.
    directories: [...new Set((interpolated.migrations?.directories ?? ['migrations/versions']).map(at))],
    versionTable: interpolated.migrations?.versionTable ?? 'alembic_version',
    versionTableSchema: interpolated.migrations?.versionTableSchema ?? 'public',
    historyTable: interpolated.migrations?.historyTable ?? 'strata_history',
  }
  requireUsableStateTables(migrations, 'migrations', shown)
  return Object.freeze({
    file,
    rootDir,
    databases: Object.freeze({ ...configuredDatabases }),
    // One configured database is the one meant: without a default, commands would
    // otherwise fall through to the development server and leave it alone.
    default: interpolated.default ?? soleDatabase(configuredDatabases),
    migrations: Object.freeze({
      ...migrations,
      versionTableSchemaConfigured: interpolated.migrations?.versionTableSchema !== undefined,
      recursive: interpolated.migrations?.recursive ?? false,
      fileTemplate,
      transactionPerMigration: interpolated.migrations?.transactionPerMigration ?? true,
      lockWaitTimeout: interpolated.migrations?.lockWaitTimeout ?? 300,
      progressInterval: duration(
        interpolated.migrations?.progressInterval,
        '10s',
        'migrations.progressInterval',
      ),
    }),
    connection: Object.freeze({
      connectTimeout: interpolated.connection?.connectTimeout ?? 10,
      applicationName: interpolated.connection?.applicationName ?? 'strata',
    }),
    lock: Object.freeze({
      timeout: duration(interpolated.lock?.timeout, '5s', 'lock.timeout'),
      statementTimeout: duration(interpolated.lock?.statementTimeout, 0, 'lock.statementTimeout'),
      retries: interpolated.lock?.retries ?? 5,
      retryDelay: duration(interpolated.lock?.retryDelay, '1s', 'lock.retryDelay'),
      maxRetryDelay: duration(interpolated.lock?.maxRetryDelay, '30s', 'lock.maxRetryDelay'),
    }),
    backfill: Object.freeze({
      maxReplicaLagMb: interpolated.backfill?.maxReplicaLagMb,
      replicaLagTimeout: duration(
        interpolated.backfill?.replicaLagTimeout,
        '10min',
        'backfill.replicaLagTimeout',
      ),
    }),
    dev: Object.freeze({
      port: interpolated.dev?.port ?? 5433,
      dataDir: at(interpolated.dev?.dataDir ?? '.strata/pg'),
      database: interpolated.dev?.database ?? 'strata',
      postgresVersion: interpolated.dev?.postgresVersion ?? 16,
    }),
    check: Object.freeze({
      rules: Object.freeze({ ...(interpolated.check?.rules ?? {}) }),
      exclude: Object.freeze([...(interpolated.check?.exclude ?? [])]),
      // The development server's major stands for production's when only that is set.
      serverVersion: interpolated.check?.serverVersion ?? interpolated.dev?.postgresVersion ?? 16,
      longTransactionSeconds: interpolated.check?.longTransactionSeconds ?? 60,
    }),
    health: resolveHealth(interpolated.health ?? {}, shown),
    backup: Object.freeze({
      directory: at(interpolated.backup?.directory ?? 'data/backups'),
      format: interpolated.backup?.format ?? 'custom',
      compression: String(interpolated.backup?.compression ?? 6),
      jobs: interpolated.backup?.jobs ?? Math.min(4, Math.max(1, availableParallelism())),
      retentionDays: interpolated.backup?.retentionDays ?? 30,
      keepVerified: interpolated.backup?.keepVerified ?? 3,
      beforeUpgrade: interpolated.backup?.beforeUpgrade ?? false,
      serverCopyLimitMb: interpolated.backup?.serverCopyLimitMb ?? 1024,
      walArchive: at(interpolated.backup?.walArchive ?? 'data/wal-archive'),
      hooks: Object.freeze({ ...(interpolated.backup?.hooks ?? {}) }),
      excludeTableData: Object.freeze([...(interpolated.backup?.excludeTableData ?? [])]),
    }),
    deploy: Object.freeze({
      log: at(interpolated.deploy?.log ?? 'migrations/production_log.txt'),
      reportsDirectory: at(interpolated.deploy?.reportsDirectory ?? 'migrations'),
      acknowledge: Object.freeze([...(interpolated.deploy?.acknowledge ?? [])]),
      rehearsal: interpolated.deploy?.rehearsal ?? 'copy',
      sampleRows: interpolated.deploy?.sampleRows ?? 1000,
      watchInterval: duration(interpolated.deploy?.watchInterval, '10s', 'deploy.watchInterval'),
      keepServerCopies: interpolated.deploy?.keepServerCopies ?? 2,
      notify: resolveNotify(interpolated.deploy?.notify, shown),
    }),
    tenants: Object.freeze({
      servers: Object.freeze([...(interpolated.tenants?.servers ?? [])]),
      match: interpolated.tenants?.match,
      schemas: interpolated.tenants?.schemas,
      list: interpolated.tenants?.list === undefined ? undefined : at(interpolated.tenants.list),
      concurrency: interpolated.tenants?.concurrency,
      reportsDirectory: at(interpolated.tenants?.reportsDirectory ?? 'migrations'),
    }),
    pgBinDir: interpolated.pgBinDir === undefined ? undefined : at(interpolated.pgBinDir),
  })
}

function resolveNotify(
  notify: string | DeployNotifyConfig | undefined,
  shown: string,
): ResolvedConfig['deploy']['notify'] {
  const given = typeof notify === 'string' ? { webhook: notify } : (notify ?? {})
  return Object.freeze({ webhook: checkedWebhook(given.webhook, shown), command: given.command })
}

/** An http(s) URL, or a config error that does not repeat it: a webhook URL is a credential. */
function checkedWebhook(url: string | undefined, shown: string): string | undefined {
  if (url === undefined || (/^https?:\/\/[^/\s]/.test(url) && URL.canParse(url))) return url
  throw new ConfigError(
    `${shown}: deploy.notify.webhook: expected an http:// or https:// URL, found text of ${url.length} characters that is not one (not shown: a webhook URL holds a token)`,
    {
      where: shown,
      hint: "write it as webhook: '${SLACK_WEBHOOK_URL}' and set that variable to the full https://... URL",
    },
  )
}

function resolveHealth(health: HealthConfig, shown: string): ResolvedConfig['health'] {
  return Object.freeze({
    urls: Object.freeze(
      (health.urls ?? []).map((entry, index) => {
        const item = typeof entry === 'string' ? { url: entry } : entry
        if (typeof item.url !== 'string' || !/^https?:\/\/[^/]/.test(item.url) || !URL.canParse(item.url)) {
          throw new ConfigError(
            `${shown}: health.urls[${index}]: expected an http(s) URL such as "http://localhost:8000/health", found ${item.url === undefined ? 'no url' : JSON.stringify(maskSecrets(String(item.url)))}`,
            { where: shown },
          )
        }
        return Object.freeze({
          name: item.name ?? endpointName(item.url),
          url: item.url,
          timeout: durationSetting(item.timeout ?? '5s', `health.urls[${index}].timeout`, shown),
          expectStatus: item.expectStatus,
        })
      }),
    ),
    schemas: health.schemas === undefined ? undefined : Object.freeze([...health.schemas]),
    roles: Object.freeze(
      Object.fromEntries(
        Object.entries(health.roles ?? {}).map(([role, list]) => [role, Object.freeze([...list])]),
      ),
    ),
    sequenceThreshold: health.sequenceThreshold ?? 0.8,
    orphanBatchRows: health.orphanBatchRows ?? 1_000_000,
    ignoreTables: Object.freeze([...(health.ignoreTables ?? [])]),
    scratchUrl: health.scratchUrl,
    longRunningSeconds: health.longRunningSeconds ?? 60,
    lockWaitSeconds: health.lockWaitSeconds ?? 5,
    slotWalMegabytes: health.slotWalMegabytes ?? 1024,
    replicaLagMegabytes: health.replicaLagMegabytes ?? 1024,
  })
}

/** `https://app.internal:8080/healthz?token=x` → `app.internal:8080/healthz`: a name without secrets. */
function endpointName(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {
    return url
  }
}

/** The name of the only configured database, if there is exactly one. */
function soleDatabase(databases: Readonly<Record<string, unknown>>): string | undefined {
  const names = Object.keys(databases)
  return names.length === 1 ? names[0] : undefined
}

/**
 * A duration setting in milliseconds. At most 2147483647 ms (about 24 days): PostgreSQL
 * keeps its timeouts in an int of milliseconds and refuses more only when a migration
 * sets one, and Node's timers fire at once past it (a `watchInterval` of 30 days would
 * poll health without pause).
 */
function durationSetting(value: string | number, key: string, shown: string): number {
  const ms = parseDuration(value)!
  if (ms > MAX_POSTGRES_TIMEOUT_MS)
    throw new ConfigError(
      `${shown}: ${key}: ${JSON.stringify(value)} is more than ${MAX_POSTGRES_TIMEOUT_MS} ms (about 24 days), the longest a timeout or an interval can be`,
      { where: key },
    )
  return ms
}
