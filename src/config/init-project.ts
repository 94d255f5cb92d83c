import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { InvalidInputError } from '../errors/index.js'
import { ensureDirectory } from '../util/ensure-directory.js'
import { CONFIG_FILE_NAMES } from './load-config.js'

const CONFIG_TEMPLATE = `import { defineConfig } from 'strata'

/**
 * Strata configuration. Every key is optional; see README.md, "Configuration".
 * Strings may use \${ENV_VAR} (or \${ENV_VAR:-default}) for secrets and per-environment values.
 */
export default defineConfig({
  // Named databases, selected with \`strata -n NAME ...\`. A string is a connection URL.
  databases: {
    // primary: '\${PRIMARY_DB_URL}',
    // analytics: '\${ANALYTICS_DB_URL}',
  },
  // default: 'primary',

  migrations: {
    directories: ['migrations/versions'],
  },

  // Without a configured database (and no --url, DATABASE_URL or PG* variables),
  // strata uses its embedded PostgreSQL 16 development server.
  dev: {
    port: 5433,
  },
})
`

/** What `strata init` created. */
export interface InitResult {
  readonly dir: string
  readonly created: readonly string[]
}

/**
 * Scaffolds a Strata project in `dir`: `strata.config.ts` and `migrations/versions/`.
 * Refuses, before writing anything, when any of them already exists.
 */
export function initProject(dir: string): InitResult {
  const root = resolve(dir)
  const versions = join(root, 'migrations', 'versions')
  const existing = CONFIG_FILE_NAMES.map((name) => join(root, name)).filter((file) => existsSync(file))
  if (existsSync(versions) && readdirSync(versions).length > 0) existing.push(versions)
  if (existing.length > 0) {
    throw new InvalidInputError(
      `refusing to overwrite: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}`,
      {
        hint: 'strata init only creates new projects; edit the existing files instead',
      },
    )
  }
  ensureDirectory(versions)
  const configFile = join(root, 'strata.config.ts')
  writeFileSync(configFile, CONFIG_TEMPLATE, { flag: 'wx' })
  const keep = join(versions, '.gitkeep')
  writeFileSync(keep, '', { flag: 'wx' })
  return { dir: root, created: [configFile, `${versions}/`] }
}
