import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTextFile } from '../../util/utf8-text.js'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/
const UNDO = /^U(\d+(?:[._]\d+)*)__(.+)\.sql$/

/**
 * Flyway: `V<version>__<description>.sql` (versions like `1`, `1.2`, `1_2`), undo
 * scripts `U<version>__...sql`, recorded in `flyway_schema_history.version`.
 * Repeatable `R__` scripts run again whenever they change, which no revision does:
 * they are left out and named.
 */
export function readFlyway(directory: string): ForeignMigrationSet {
  const names = readdirSync(directory).sort()
  const undo = new Map<string, string>()
  for (const name of names) {
    const match = UNDO.exec(name)
    if (match) undo.set(normalVersion(match[1]!), readTextFile(join(directory, name)))
  }
  const migrations: ForeignMigration[] = []
  const leftOut: { file: string; reason: string }[] = []
  for (const name of names) {
    if (/^R__.+\.sql$/.test(name)) {
      leftOut.push({
        file: name,
        reason:
          'a repeatable script runs again whenever it changes; write its current content as a new migration when it next changes',
      })
      continue
    }
    const match = VERSIONED.exec(name)
    if (match === null) continue
    const version = normalVersion(match[1]!)
    migrations.push({
      version,
      title: match[2]!.replace(/_/g, ' '),
      appliedKey: version,
      up: readTextFile(join(directory, name)),
      down: undo.get(version),
      transactional: true,
      source: name,
    })
  }
  return { tool: 'flyway', migrations, unconvertible: [], leftOut, order: 'version' }
}

/** Flyway reads `1_2` as `1.2`, and records it so. */
function normalVersion(version: string): string {
  return version.replace(/_/g, '.')
}

export function looksLikeFlyway(directory: string): boolean {
  return readdirSync(directory).some((name) => VERSIONED.test(name))
}
