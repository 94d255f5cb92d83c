import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'

const UP = /^--\s*Up Migration\s*$/im
const DOWN = /^--\s*Down Migration\s*$/im
const CODE = /\.(js|cjs|mjs|ts)$/

/**
 * node-pg-migrate: `<timestamp>_<name>.sql` with `-- Up Migration` / `-- Down Migration`
 * sections, recorded in `pgmigrations.name` by the file name without its extension.
 * Its JavaScript and TypeScript migrations build SQL in code (`pgm.createTable(...)`),
 * which no file conversion can follow: they are named, and the caller refuses.
 */
export function readNodePgMigrate(directory: string): ForeignMigrationSet {
  const migrations: ForeignMigration[] = []
  const unconvertible: { file: string; reason: string }[] = []
  for (const name of readdirSync(directory).sort()) {
    const match = /^(\d+)[_-](.+)\.(sql|js|cjs|mjs|ts)$/.exec(name)
    if (match === null) continue
    if (CODE.test(name)) {
      unconvertible.push({
        file: name,
        reason: 'a JavaScript or TypeScript migration builds its SQL in code',
      })
      continue
    }
    const text = readFileSync(join(directory, name), 'utf8')
    const up = UP.exec(text)
    const down = DOWN.exec(text)
    const upStart = up === null ? 0 : up.index + up[0].length
    const upEnd = down !== null && down.index > upStart ? down.index : text.length
    const downText = down === null ? undefined : text.slice(down.index + down[0].length).trim()
    migrations.push({
      version: match[1]!,
      title: match[2]!.replace(/[_-]/g, ' '),
      appliedKey: name.replace(/\.sql$/, ''),
      up: text.slice(upStart, upEnd).trim(),
      down: downText || undefined,
      transactional: true,
      source: name,
    })
  }
  return { tool: 'node-pg-migrate', migrations, unconvertible, leftOut: [], order: 'version' }
}

export function looksLikeNodePgMigrate(directory: string): boolean {
  return readdirSync(directory).some((name) => {
    if (!/^\d+[_-].+\.(sql|js|cjs|mjs|ts)$/.test(name)) return false
    const text = readFileSync(join(directory, name), 'utf8')
    return CODE.test(name)
      ? /\bpgm\b|exports\.up\b|export\s+(async\s+)?(function|const)\s+up\b/.test(text)
      : UP.test(text)
  })
}
