import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { recognisedTool } from '../adopt/convert/detect-tool.js'
import { isPostgresUrl } from '../db/connection-spec.js'
import { InvalidInputError } from '../errors/index.js'
import { DEFAULT_FILE_TEMPLATE, fileTemplateProblem } from '../graph/revision-file-name.js'
import { ensureDirectory, ensureGivenDirectory } from '../util/ensure-directory.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { parseDotenv } from './dotenv.js'
import { CONFIG_FILE_NAMES } from './load-config.js'

const configTemplate = (
  versions: readonly string[],
  alembic: boolean,
  alembicUrl?: string,
  versionTable: AlembicVersionTable = {},
  fileTemplate: string | undefined = undefined,
  recursive = false,
) => `import { defineConfig } from 'strata'

/**
 * Strata configuration. Every key is optional; see README.md, "Configuration".
 * Strings may use \${ENV_VAR} (or \${ENV_VAR:-default}) for secrets and per-environment values.
 */
export default defineConfig({
  // Named databases, selected with \`strata -n NAME ...\`. A string is a connection URL.
  databases: {${
    alembicUrl === undefined
      ? ''
      : `
    // alembic.ini connects to ${alembicUrl}.
    // Keep that URL (password and all) out of this file: export DATABASE_URL='<it>' and
    // strata uses it, or name it below from a variable.`
  }
    // primary: '\${PRIMARY_DB_URL}',
    // analytics: '\${ANALYTICS_DB_URL}',
  },
  // default: 'primary',

  migrations: {${
    alembic
      ? `
    // The Alembic project's versions: its .py migrations are read (not run), and new
    // TypeScript or SQL migrations are created beside them, after its head.`
      : ''
  }
    directories: [${versions.map((directory) => `'${directory}'`).join(', ')}],${
      versionTable.table === undefined
        ? ''
        : `
    // env.py's context.configure(version_table=...): the version table Alembic kept.
    versionTable: '${versionTable.table}',`
    }${
      versionTable.schema === undefined
        ? ''
        : `
    versionTableSchema: '${versionTable.schema}',`
    }${
      fileTemplate === undefined
        ? ''
        : `
    // alembic.ini's file_template: new files are named as before.
    fileTemplate: '${fileTemplate}',`
    }${
      recursive
        ? `
    // alembic.ini's recursive_version_locations: subdirectories' migrations are read too.
    recursive: true,`
        : ''
    }
  },

  // Without a configured database (and no --url, DATABASE_URL or PG* variables),
  // strata uses its embedded PostgreSQL 16 development server.
  dev: {
    port: 5433,
  },

  // Production settings worth deciding early (defaults shown or off):
  // lock: { timeout: '5s', retries: 5 },              // how long a migration waits for a table lock
  // backfill: { maxReplicaLagMb: 256 },                // batches wait while a standby is this far behind
  // backup: { directory: 'data/backups', retentionDays: 30, beforeUpgrade: false },
  // health: { urls: ['http://localhost:8000/health'], roles: { app: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] } },
  // deploy: { notify: '\${SLACK_WEBHOOK_URL}' },        // told when a deploy starts and how it ends
})
`

/** What `strata init` created. */
export interface InitResult {
  readonly dir: string
  readonly created: readonly string[]
  /** An Alembic project found in the directory: its (first) versions directory, which the config uses. */
  readonly alembicVersions: string | undefined
  /** Every versions directory, when alembic.ini's `version_locations` names more than one. */
  readonly alembicVersionLocations?: readonly string[] | undefined
  /** alembic.ini sets `recursive_version_locations`: the config's `migrations.recursive` too. */
  readonly alembicRecursive?: true | undefined
  /** Other migration tools the project's package.json depends on (`node-pg-migrate`, `prisma`). */
  readonly otherTools: readonly string[]
  /** The PostgreSQL URL of the Alembic project's alembic.ini, its password masked. */
  readonly alembicUrl?: string | undefined
  /**
   * The environment variables the Alembic project's env.py reads (`os.environ["DB_URL"]`,
   * `os.getenv("DB_URL")`): most projects keep the URL there rather than in alembic.ini.
   */
  readonly alembicEnvVariables?: readonly string[] | undefined
  /** alembic.ini's `file_template`, which the config's `migrations.fileTemplate` takes on. */
  readonly alembicFileTemplate?: string | undefined
  /** The version table env.py names (`version_table=`, `version_table_schema=`), set in the config. */
  readonly alembicVersionTable?: AlembicVersionTable | undefined
  /** DATABASE_URL of the project's `.env`, its password masked: strata reads it from there. */
  readonly dotenvUrl?: string | undefined
  /** Another tool's SQL migrations found in the project, which `strata convert` reads. */
  readonly convertible?: { readonly directory: string; readonly tool: string } | undefined
}

/** Migration tools of Node projects, as package.json names them. */
const NODE_MIGRATION_TOOLS = [
  'node-pg-migrate',
  'prisma',
  'knex',
  'sequelize-cli',
  'typeorm',
  'db-migrate',
  'drizzle-kit',
  'kysely',
]

/** The migration tools among the dependencies of `root`'s package.json. */
function otherMigrationTools(root: string): string[] {
  const file = join(root, 'package.json')
  if (!existsSync(file)) return []
  let manifest: Record<string, Record<string, string> | undefined>
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return [] // not ours to validate; npm will say what is wrong with it
  }
  const names = new Set(
    ['dependencies', 'devDependencies'].flatMap((key) => Object.keys(manifest[key] ?? {})),
  )
  return NODE_MIGRATION_TOOLS.filter((tool) => names.has(tool))
}

/** Where the tools `strata convert` reads keep their migrations by default. */
const OTHER_TOOLS_DIRECTORIES = [
  'prisma/migrations',
  'db/migrations',
  'migrations',
  'src/migrations',
  'src/database/migrations',
  'src/main/resources/db/migration',
  'sql',
]

/** The first of those that holds another tool's migrations. */
function convertibleMigrations(root: string): { directory: string; tool: string } | undefined {
  for (const directory of OTHER_TOOLS_DIRECTORIES) {
    const path = join(root, directory)
    if (!existsSync(path) || !statSync(path).isDirectory()) continue
    const tool = recognisedTool(path)
    if (tool !== undefined) return { directory, tool }
  }
  return undefined
}

/**
 * Scaffolds a Strata project in `dir`: `strata.config.ts` and `migrations/versions/`.
 * Refuses, before writing anything, when any of them already exists.
 */
export function initProject(dir: string): InitResult {
  const root = resolve(dir)
  ensureGivenDirectory(
    root,
    'name a directory this account can write (strata init DIR), or run strata init inside the project',
  )
  const iniFile = join(root, 'alembic.ini')
  const ini = existsSync(iniFile) ? readFileSync(iniFile, 'utf8') : undefined
  const alembic = ini === undefined ? undefined : alembicLocations(root, ini)
  const alembicVersions = alembic?.versions[0]
  const versions =
    alembicVersions === undefined ? join(root, 'migrations', 'versions') : join(root, alembicVersions)
  const existing = CONFIG_FILE_NAMES.map((name) => join(root, name)).filter((file) => existsSync(file))
  if (alembicVersions === undefined && existsSync(versions) && readdirSync(versions).length > 0)
    existing.push(versions)
  if (existing.length > 0) {
    throw new InvalidInputError(
      `refusing to overwrite: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}`,
      {
        hint: 'strata init only creates new projects; edit the existing files instead',
      },
    )
  }
  const configFile = join(root, 'strata.config.ts')
  const otherTools = otherMigrationTools(root)
  const dotenvUrl = dotenvDatabaseUrl(root)
  const convertible = convertibleMigrations(root)
  const found = {
    otherTools,
    ...(dotenvUrl === undefined ? {} : { dotenvUrl }),
    ...(convertible === undefined ? {} : { convertible }),
  }
  if (alembic !== undefined && ini !== undefined) {
    const alembicUrl = alembicDatabaseUrl(ini)
    const envPyFile = join(alembic.scripts, 'env.py')
    const envPy = existsSync(envPyFile) ? readFileSync(envPyFile, 'utf8') : ''
    const alembicEnvVariables = envPyVariables(envPy)
    const versionTable = envPyVersionTable(envPy)
    const fileTemplate = alembicFileTemplate(ini)
    const recursive = /^(true|yes|on|1)$/i.test(iniValue(ini, 'recursive_version_locations') ?? '')
    writeFileSync(
      configFile,
      configTemplate(alembic.versions, true, alembicUrl, versionTable, fileTemplate, recursive),
      { flag: 'wx' },
    )
    return {
      dir: root,
      created: [configFile],
      alembicVersions,
      ...(alembic.versions.length > 1 ? { alembicVersionLocations: alembic.versions } : {}),
      ...(recursive ? { alembicRecursive: true as const } : {}),
      alembicUrl,
      ...(Object.keys(versionTable).length > 0 ? { alembicVersionTable: versionTable } : {}),
      ...(fileTemplate === undefined ? {} : { alembicFileTemplate: fileTemplate }),
      ...(alembicEnvVariables.length > 0 ? { alembicEnvVariables } : {}),
      ...found,
    }
  }
  ensureDirectory(versions)
  writeFileSync(configFile, configTemplate(['migrations/versions'], false), { flag: 'wx' })
  const keep = join(versions, '.gitkeep')
  writeFileSync(keep, '', { flag: 'wx' })
  return { dir: root, created: [configFile, `${versions}/`], alembicVersions: undefined, ...found }
}

/** The variables env.py reads the database URL from, in the order it names them. */
function envPyVariables(text: string): string[] {
  const names = [
    ...text.matchAll(
      /os\.(?:environ\s*\[\s*|environ\.get\(\s*|getenv\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']/g,
    ),
  ].map((match) => match[1]!)
  // Only those that hold a URL: a schema name or a flag read beside it is not the database.
  return [...new Set(names)].filter((name) => /URL|URI|DSN|DATABASE/i.test(name))
}

/** Where Alembic keeps its version rows, when env.py says so with string literals. */
export interface AlembicVersionTable {
  readonly table?: string
  readonly schema?: string
}

/**
 * `context.configure(..., version_table='app_version', version_table_schema='app')` in
 * env.py. A name given by a variable or a function is not read: init's closing line says
 * where such a name goes.
 */
function envPyVersionTable(text: string): AlembicVersionTable {
  const literal = (key: string) =>
    new RegExp(`\\b${key}\\s*=\\s*["']([A-Za-z_][A-Za-z0-9_$]*)["']`).exec(text)?.[1]
  const table = literal('version_table')
  const schema = literal('version_table_schema')
  return { ...(table === undefined ? {} : { table }), ...(schema === undefined ? {} : { schema }) }
}

/** DATABASE_URL in the project's `.env` (which every strata command reads), masked. */
function dotenvDatabaseUrl(root: string): string | undefined {
  const file = join(root, '.env')
  if (!existsSync(file)) return undefined
  try {
    const url = parseDotenv(readFileSync(file, 'utf8'), process.env).DATABASE_URL
    return url !== undefined && isPostgresUrl(url) ? maskSecrets(url) : undefined
  } catch {
    return undefined
  }
}

/**
 * Where an Alembic project in `root` keeps its scripts (env.py) and its versions
 * (relative, as the config writes them): `script_location` of its alembic.ini (default
 * `alembic`), and its `version_locations` when set, else `versions` under the scripts.
 */
function alembicLocations(
  root: string,
  ini: string,
): { readonly scripts: string; readonly versions: readonly string[] } | undefined {
  const location = iniValue(ini, 'script_location') ?? 'alembic'
  // `%(here)s` is alembic.ini's own directory; a package location (`myapp:alembic`) is not a path.
  if (location.includes(':') && !location.startsWith('/')) return undefined
  const scripts = resolve(root, location.replace('%(here)s', root))
  const listed = versionLocations(ini).map((path) => resolve(root, path.replaceAll('%(here)s', root)))
  const versions = (listed.length > 0 ? listed : [join(scripts, 'versions')]).filter((path) =>
    existsSync(path),
  )
  if (versions.length === 0) return undefined
  return { scripts, versions: versions.map((path) => relative(root, path) || '.') }
}

/**
 * alembic.ini's `version_locations`, split as Alembic splits it: by
 * `version_path_separator` (`os`, `:`, `;`, `space`), or, without one, by spaces and
 * commas (Alembic's older behaviour).
 */
function versionLocations(ini: string): string[] {
  const value = iniValue(ini, 'version_locations')
  if (value === undefined) return []
  const separator = iniValue(ini, 'version_path_separator')
  const split =
    separator === 'os' || separator === ':'
      ? /:/
      : separator === ';'
        ? /;/
        : separator === 'space'
          ? /\s+/
          : /[\s,]+/
  return value
    .split(split)
    .map((path) => path.trim())
    .filter((path) => path !== '')
}

/**
 * alembic.ini's `file_template` (its `%%` read as `%`), when Strata can name files with
 * it; one it cannot (a token Alembic added later, a directory) is left out, and new files
 * get Strata's default names.
 */
function alembicFileTemplate(ini: string): string | undefined {
  const line = iniValue(ini, 'file_template')
  if (line === undefined) return undefined
  const template = line.replaceAll('%%', '%')
  if (template === DEFAULT_FILE_TEMPLATE || fileTemplateProblem(template) !== undefined) return undefined
  return template
}

/**
 * alembic.ini's `sqlalchemy.url` when it names a PostgreSQL database (Alembic's template
 * has a `driver://user:pass@localhost/dbname` placeholder), its password masked: the URL
 * works for strata as it is (see parseConnectionString), but does not belong in a config.
 */
function alembicDatabaseUrl(ini: string): string | undefined {
  const url = iniValue(ini, 'sqlalchemy.url')
  return url !== undefined && !/\s/.test(url) && isPostgresUrl(url) ? maskSecrets(url) : undefined
}

/** `key = value` in alembic.ini, the value trimmed. */
function iniValue(ini: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key.replace('.', '\\.')}\\s*=\\s*(.+?)\\s*$`, 'm').exec(ini)?.[1]
}
