import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTextFile } from '../../util/utf8-text.js'
import { codeMigrationFiles } from './code-migrations.js'
import type { ForeignMigration, ForeignMigrationSet } from './foreign-migration.js'
import { renderCodeMigrations } from './render-node-pg-migrate.js'

const UP = /^--\s*Up Migration\s*$/im
const DOWN = /^--\s*Down Migration\s*$/im
const CODE = /\.(js|cjs|mjs|ts)$/

/**
 * node-pg-migrate: `<timestamp>_<name>.sql` with `-- Up Migration` / `-- Down Migration`
 * sections, and `.js` / `.ts` migrations that build SQL in code (`pgm.createTable(...)`),
 * rendered by the project's own node-pg-migrate. Each is recorded in `pgmigrations.name`
 * by its file name without the extension.
 */
export async function readNodePgMigrate(directory: string): Promise<ForeignMigrationSet> {
  const migrations: ForeignMigration[] = []
  for (const name of readdirSync(directory).sort()) {
    const match = /^(\d+)[_-](.+)\.sql$/.exec(name)
    if (match === null) continue
    const text = readTextFile(join(directory, name))
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
  const code = codeMigrationFiles(directory)
  if (code.length === 0)
    return { tool: 'node-pg-migrate', migrations, unconvertible: [], leftOut: [], order: 'version' }
  const rendered = await renderCodeMigrations(directory, code)
  return {
    tool: 'node-pg-migrate',
    migrations: [...migrations, ...rendered.migrations],
    unconvertible: rendered.unconvertible,
    leftOut: [],
    order: 'version',
  }
}

export function looksLikeNodePgMigrate(directory: string): boolean {
  return readdirSync(directory).some((name) => {
    if (!/^\d+[_-].+\.(sql|js|cjs|mjs|ts)$/.test(name)) return false
    const text = readTextFile(join(directory, name))
    return CODE.test(name)
      ? /\bpgm\b|exports\.up\b|export\s+(async\s+)?(function|const)\s+up\b/.test(text)
      : UP.test(text)
  })
}
