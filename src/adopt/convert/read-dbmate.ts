import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTextFile } from '../../util/utf8-text.js'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

/** dbmate's section markers: `-- migrate:up` and `-- migrate:down`, with options such as `transaction:false`. */
const MARKER = /^--\s*migrate:(up|down)\b(.*)$/gm

/**
 * dbmate: `db/migrations/<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down`
 * sections, recorded in `schema_migrations.version`.
 */
export function readDbmate(directory: string): ForeignMigrationSet {
  const migrations: ForeignMigration[] = []
  for (const name of readdirSync(directory).sort()) {
    if (!name.endsWith('.sql')) continue
    const text = readTextFile(join(directory, name))
    const sections = new Map<string, { marker: number; start: number; options: string }>()
    for (const marker of text.matchAll(MARKER))
      sections.set(marker[1]!, {
        marker: marker.index,
        start: marker.index + marker[0].length,
        options: marker[2]!,
      })
    const up = sections.get('up')
    if (up === undefined) continue
    const down = sections.get('down')
    // dbmate writes up first; a down section before it ends at the up marker instead.
    const upEnd = down !== undefined && down.marker > up.marker ? down.marker : text.length
    const downEnd = down !== undefined && down.marker < up.marker ? up.marker : text.length
    const match = /^(\d+)_?(.*)\.sql$/.exec(name)
    const version = match?.[1] ?? name.replace(/\.sql$/, '')
    migrations.push({
      version,
      title: (match?.[2] || name.replace(/\.sql$/, '')).replace(/_/g, ' '),
      appliedKey: version,
      up: text.slice(up.start, upEnd).trim(),
      down: down === undefined ? undefined : text.slice(down.start, downEnd).trim() || undefined,
      transactional: !/\btransaction:\s*false\b/i.test(up.options),
      source: name,
    })
  }
  return { tool: 'dbmate', migrations, unconvertible: [], leftOut: [], order: 'version' }
}

/** Whether a directory holds dbmate migrations. */
export function looksLikeDbmate(directory: string): boolean {
  return readdirSync(directory).some(
    (name) => name.endsWith('.sql') && /^--\s*migrate:up\b/m.test(readTextFile(join(directory, name))),
  )
}
