import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTextFile } from '../../util/utf8-text.js'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/

/**
 * golang-migrate: `<version>_<title>.up.sql` and `.down.sql`, recorded as the one
 * current `schema_migrations.version` (every lower version counts as applied).
 */
export function readGolangMigrate(directory: string): ForeignMigrationSet {
  const byVersion = new Map<string, { title: string; up?: string; down?: string; source?: string }>()
  for (const name of readdirSync(directory)) {
    const match = FILE.exec(name)
    if (match === null) continue
    const entry = byVersion.get(match[1]!) ?? { title: match[2]! }
    const text = readTextFile(join(directory, name))
    if (match[3] === 'up') {
      entry.up = text
      entry.source = name
    } else entry.down = text
    byVersion.set(match[1]!, entry)
  }
  const migrations: ForeignMigration[] = []
  for (const [version, entry] of byVersion) {
    if (entry.up === undefined) continue // a down file alone runs nothing upwards
    migrations.push({
      version,
      title: entry.title.replace(/_/g, ' ') || version,
      appliedKey: version,
      up: entry.up,
      down: entry.down?.trim() ? entry.down : undefined,
      transactional: true,
      source: entry.source!,
    })
  }
  return { tool: 'golang-migrate', migrations, unconvertible: [], leftOut: [], order: 'version' }
}

export function looksLikeGolangMigrate(directory: string): boolean {
  return readdirSync(directory).some((name) => /^\d+_.*\.up\.sql$/.test(name))
}
