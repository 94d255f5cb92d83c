import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, recorded in
 * `_prisma_migrations.migration_name` by the directory's name. Prisma keeps no down
 * migrations.
 */
export function readPrisma(directory: string): ForeignMigrationSet {
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
      up: readFileSync(file, 'utf8'),
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
