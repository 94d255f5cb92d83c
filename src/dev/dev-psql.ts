import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { EmbeddedServerError } from '../errors/index.js'
import { devConnectionSpec, devStatus } from './dev-server.js'

/**
 * Finds a PostgreSQL client program (psql, pg_dump, ...) on PATH or in the usual
 * package locations, newest major first.
 */
export function findClientProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
  for (const root of ['/usr/lib/postgresql', '/usr/pgsql']) {
    if (!existsSync(root)) continue
    const majors = readdirSync(root).sort((a, b) => Number(b) - Number(a))
    candidates.push(...majors.map((major) => join(root, major, 'bin', name)))
  }
  return candidates.find((candidate) => existsSync(candidate))
}

/**
 * Opens the system's psql on the development server. The password travels in the
 * child's environment, never on its command line.
 */
export function devPsql(config: ResolvedConfig, args: readonly string[]): Promise<number> {
  const status = devStatus(config)
  if (!status.running) {
    throw new EmbeddedServerError('the development server is not running', {
      hint: 'start it with `strata dev start`',
    })
  }
  const psql = findClientProgram('psql')
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
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve(code ?? 1))
  })
}
