import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'

/** The files of the development server of one project. */
export interface DevPaths {
  /** `.strata/` beside the config: state that belongs to this project. */
  readonly stateDir: string
  /** The generated superuser password in pgpass format, mode 0600. */
  readonly passwordFile: string
  /** The data directory the config asks for. */
  readonly configuredDataDir: string
  /** Whether `configuredDataDir` is the default (`.strata/pg`), which may be relocated. */
  readonly isDefaultDataDir: boolean
  /**
   * Where the default data directory moves when the server user (`postgres`, when
   * Strata runs as root) cannot reach the project directory, e.g. a checkout in a
   * 0700 temporary directory. Stable per project, so the data is found again.
   */
  readonly fallbackDataDir: string
}

export function devPaths(config: ResolvedConfig): DevPaths {
  const stateDir = join(config.rootDir, '.strata')
  const defaultDataDir = resolve(config.rootDir, '.strata/pg')
  const projectKey = createHash('sha256').update(config.rootDir).digest('hex').slice(0, 12)
  return {
    stateDir,
    passwordFile: join(stateDir, 'dev.pgpass'),
    configuredDataDir: config.dev.dataDir,
    isDefaultDataDir: config.dev.dataDir === defaultDataDir,
    fallbackDataDir: join(tmpdir(), `strata-dev-${projectKey}`, 'pg'),
  }
}
