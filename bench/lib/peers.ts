import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { findClientProgram } from '../../src/backup/client-programs.js'

const root = join(import.meta.dirname, '..', '..')

/** The peers a benchmark compares against; each says how to install it when missing. */
export const peers = {
  strata: { command: process.execPath, args: [join(root, 'dist', 'strata.cjs')] },
  alembic: { command: '/usr/bin/python3', args: ['-m', 'alembic'] },
  nodePgMigrate: { command: join(root, 'node_modules', '.bin', 'node-pg-migrate'), args: [] as string[] },
}

export function requirePsql(): string {
  const psql = findClientProgram('psql')
  if (!psql) throw new Error('psql not found: apt-get install -y postgresql-client')
  return psql
}

export function requireAlembic(): void {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import alembic, psycopg2'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new Error(
      'Alembic not found: apt-get install -y python3-alembic python3-psycopg2 (then run as /usr/bin/python3 -m alembic)',
    )
  }
}

export function requireBuiltStrata(): void {
  if (!existsSync(join(root, 'dist', 'strata.cjs')))
    throw new Error('dist/ is missing: run `npm run build` first')
}
