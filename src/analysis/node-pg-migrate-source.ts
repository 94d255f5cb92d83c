import { readdirSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { CodeMigrationFile } from '../adopt/convert/code-migrations.js'
import type { ForeignMigration, Unconvertible } from '../adopt/convert/foreign-migration.js'
import { renderCodeMigrations } from '../adopt/convert/render-node-pg-migrate.js'
import { InvalidInputError } from '../errors/index.js'
import type { MigrationSource } from './analysed-statement.js'
import { parseSql } from './parse-sql.js'

// A team still on node-pg-migrate can have its JavaScript and TypeScript migrations
// checked before it converts them (squawk reads only SQL): node-pg-migrate renders each
// to the SQL it runs, as `strata convert` has it render them, and that SQL is analysed
// as node-pg-migrate runs it, in one transaction unless `pgm.noTransaction()`.

/** A node-pg-migrate code migration: it exports `up` (taking `pgm`), not Strata's `upgrade`. */
export function isNodePgMigrateCode(path: string, text: string): boolean {
  if (!/\.(js|cjs|mjs|ts)$/.test(path)) return false
  const exportsUp =
    /\bexports\.up\s*=|\bexport\s+(?:async\s+)?function\s+up\b|\bexport\s+const\s+up\b|module\.exports\s*=\s*\{[^}]*\bup\b/.test(
      text,
    )
  const exportsUpgrade =
    /\bexport\s+(?:async\s+)?function\s+upgrade\b|\bexport\s+const\s+upgrade\b|\bexports\.upgrade\s*=/.test(
      text,
    )
  return exportsUp && !exportsUpgrade
}

/** Each directory's code migrations rendered once, in node-pg-migrate's order (shorthands carry on). */
const renderedByDirectory = new Map<string, Promise<Map<string, ForeignMigration | Unconvertible>>>()

function renderDirectory(directory: string) {
  let rendered = renderedByDirectory.get(directory)
  if (rendered === undefined) {
    const files: CodeMigrationFile[] = []
    for (const name of readdirSync(directory).sort()) {
      const match = /^(\d+)[_-](.+)\.(js|cjs|mjs|ts)$/.exec(name)
      if (match !== null && !name.endsWith('.d.ts'))
        files.push({ file: name, version: match[1]!, title: match[2]!.replace(/[_-]/g, ' ') })
    }
    rendered = renderCodeMigrations(directory, files).then(({ migrations, unconvertible }) => {
      const byFile = new Map<string, ForeignMigration | Unconvertible>()
      for (const migration of migrations) byFile.set(migration.source, migration)
      for (const failed of unconvertible) byFile.set(failed.file, failed)
      return byFile
    })
    renderedByDirectory.set(directory, rendered)
  }
  return rendered
}

/**
 * A node-pg-migrate migration as node-pg-migrate runs it: the SQL its up side renders,
 * in one transaction unless it calls `pgm.noTransaction()`, without a lock_timeout
 * (node-pg-migrate sets none). Each statement has the line of the pgm call that made it.
 */
export async function nodePgMigrateSource(path: string): Promise<MigrationSource> {
  const file = basename(path)
  const rendered = (await renderDirectory(dirname(resolve(path)))).get(file)
  if (rendered === undefined || !('up' in rendered))
    throw new InvalidInputError(
      `${path}: node-pg-migrate cannot render this migration${rendered === undefined ? ' (its name does not start with a number, as node-pg-migrate requires)' : `: ${rendered.reason}`}`,
      {
        where: path,
        hint: rendered?.hint ?? 'name it <timestamp>_<title>.js, as node-pg-migrate creates them',
      },
    )
  return {
    id: path,
    title: `${rendered.title} (node-pg-migrate)`,
    file: path,
    revision: undefined,
    phase: undefined,
    hasDowngrade: undefined,
    start: { inTransaction: rendered.transactional, lockTimeoutMs: undefined, statementTimeoutMs: undefined },
    // Each statement at the line of the pgm call that made it.
    up: (rendered.steps ?? [{ sql: rendered.up, line: undefined }]).flatMap((step) =>
      parseSql(step.sql, path).map((statement) => ({ ...statement, line: step.line })),
    ),
    down: undefined,
    allow: [],
    unverifiable: [],
    invalidCalls: [],
  }
}
