import { spawn } from 'node:child_process'
import { findClientProgram } from '../backup/client-programs.js'
import type { ResolvedConfig } from '../config/types.js'
import { EmbeddedServerError } from '../errors/index.js'
import { trackChild } from '../util/running-children.js'
import { devConnectionSpec, devStatus, ensureDevDatabase } from './dev-server.js'

/**
 * Opens the system's psql on the development server. The password travels in the
 * child's environment, never on its command line.
 */
export async function devPsql(config: ResolvedConfig, args: readonly string[]): Promise<number> {
  const status = devStatus(config)
  if (!status.running) {
    throw new EmbeddedServerError('the development server is not running', {
      hint: 'start it with `strata dev start`',
    })
  }
  if (status.port === config.dev.port) await ensureDevDatabase(config)
  const psql = findClientProgram('psql', process.env, config.pgBinDir)
  if (psql === undefined) {
    throw new EmbeddedServerError('psql is not installed on this machine', {
      hint: 'install the PostgreSQL client: apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS), dnf install postgresql (Fedora)',
    })
  }
  const spec = devConnectionSpec(config)
  const child = spawn(
    psql,
    ['-h', spec.host, '-p', String(spec.port), '-U', spec.user, '-d', spec.database, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, PGPASSWORD: spec.password, PGAPPNAME: 'strata-psql' },
    },
  )
  // Ctrl-C belongs to psql (it cancels the running query), not to Strata.
  trackChild(child, { interactive: true })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve(code ?? 1))
  })
}
