import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidInputError } from '../../errors/index.js'
import { readTextFile } from '../../util/utf8-text.js'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, recorded in
 * `_prisma_migrations.migration_name` by the directory's name. Prisma keeps no down
 * migrations.
 */
export function readPrisma(directory: string): ForeignMigrationSet {
  requirePostgresProvider(directory)
  const migrations: ForeignMigration[] = []
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const file = join(directory, entry.name, 'migration.sql')
    if (!existsSync(file)) continue
    const match = /^(\d+)_(.+)$/.exec(entry.name)
    migrations.push({
      version: match?.[1] ?? entry.name,
      title: (match?.[2] ?? entry.name).replace(/_/g, ' '),
      appliedKey: entry.name,
      up: readTextFile(file),
      down: undefined,
      transactional: true,
      source: `${entry.name}/migration.sql`,
    })
  }
  return { tool: 'prisma', migrations, unconvertible: [], leftOut: [], order: 'name' }
}

/** Whether a directory holds Prisma migrations. */
export function looksLikePrisma(directory: string): boolean {
  return readdirSync(directory, { withFileTypes: true }).some(
    (entry) => entry.isDirectory() && existsSync(join(directory, entry.name, 'migration.sql')),
  )
}

/**
 * Prisma writes the database its migrations are for into `migration_lock.toml`
 * (`provider = "postgresql"`). Migrations for MySQL or SQLite would be converted into
 * files that fail on PostgreSQL at their first statement: refused up front.
 */
function requirePostgresProvider(directory: string): void {
  const lock = join(directory, 'migration_lock.toml')
  if (!existsSync(lock)) return
  const provider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(readTextFile(lock))?.[1]
  if (provider === undefined || /^(postgresql|postgres)$/.test(provider)) return
  throw new InvalidInputError(
    `${directory}: these Prisma migrations are for ${provider} (migration_lock.toml), not PostgreSQL`,
    {
      hint: 'convert the migrations Prisma generated for PostgreSQL (provider = "postgresql"); for a database already on PostgreSQL, adopt it with strata revision -m "baseline" --baseline',
    },
  )
}
