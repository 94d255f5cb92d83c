import { basename, dirname, resolve } from 'node:path'
import {
  type CodeMigrationFile,
  codeMigrationFiles,
  notRenderableHint,
} from '../adopt/convert/code-migrations.js'
import type { ForeignMigration, Unconvertible } from '../adopt/convert/foreign-migration.js'
import { KNEX_CODE } from '../adopt/convert/read-knex.js'
import { renderTypeormMigrations, TYPEORM_CODE } from '../adopt/convert/read-typeorm.js'
import { renderKnexMigrations } from '../adopt/convert/render-knex.js'
import { renderCodeMigrations } from '../adopt/convert/render-node-pg-migrate.js'
import { InvalidInputError } from '../errors/index.js'
import type { MigrationSource } from './analysed-statement.js'
import { parseCallSteps, parseSql } from './parse-sql.js'

// A team still on node-pg-migrate, Knex or TypeORM can have its JavaScript and TypeScript
// migrations checked before it converts them (squawk reads only SQL): the tool renders
// each to the SQL it runs, as `strata convert` has it render them, and that SQL is
// analysed as the tool runs it, in one transaction unless the migration opts out.

type CodeTool = 'node-pg-migrate' | 'knex' | 'typeorm'

const RENDER: Record<
  CodeTool,
  (
    directory: string,
    files: readonly CodeMigrationFile[],
  ) => Promise<{ migrations: ForeignMigration[]; unconvertible: Unconvertible[] }>
> = { 'node-pg-migrate': renderCodeMigrations, knex: renderKnexMigrations, typeorm: renderTypeormMigrations }

/**
 * The tool whose code migration a file is: a `MigrationInterface` class (TypeORM), or
 * an exported `up` (not Strata's `upgrade`) taking `knex` (Knex) or anything else
 * (node-pg-migrate's `pgm`).
 */
export function codeMigrationTool(path: string, text: string): CodeTool | undefined {
  if (!/\.(js|cjs|mjs|ts)$/.test(path)) return undefined
  if (TYPEORM_CODE.test(text)) return 'typeorm'
  const exportsUp =
    /\bexports\.up\s*=|\bexport\s+(?:async\s+)?function\s+up\b|\bexport\s+const\s+up\b|module\.exports\s*=\s*\{[^}]*\bup\b/.test(
      text,
    )
  const exportsUpgrade =
    /\bexport\s+(?:async\s+)?function\s+upgrade\b|\bexport\s+const\s+upgrade\b|\bexports\.upgrade\s*=/.test(
      text,
    )
  if (!exportsUp || exportsUpgrade) return undefined
  return KNEX_CODE.test(text) ? 'knex' : 'node-pg-migrate'
}

/** Each directory's code migrations rendered once, in the tool's order (node-pg-migrate's shorthands carry on). */
const renderedByDirectory = new Map<string, Promise<Map<string, ForeignMigration | Unconvertible>>>()

function renderDirectory(directory: string, tool: CodeTool) {
  const key = `${tool}\u0000${directory}`
  let rendered = renderedByDirectory.get(key)
  if (rendered === undefined) {
    rendered = RENDER[tool](directory, codeMigrationFiles(directory)).then(
      ({ migrations, unconvertible }) => {
        const byFile = new Map<string, ForeignMigration | Unconvertible>()
        for (const migration of migrations) byFile.set(migration.source, migration)
        for (const failed of unconvertible) byFile.set(failed.file, failed)
        return byFile
      },
    )
    renderedByDirectory.set(key, rendered)
  }
  return rendered
}

/**
 * A node-pg-migrate or Knex migration as its tool runs it: the SQL its up side renders,
 * in one transaction unless it opts out (`pgm.noTransaction()`, Knex's `config = {
 * transaction: false }`), without a lock_timeout (neither sets one). Each statement has
 * the line of the call that made it, where the stack names one.
 */
export async function codeMigrationSource(path: string, tool: CodeTool): Promise<MigrationSource> {
  const file = basename(path)
  const rendered = (await renderDirectory(dirname(resolve(path)), tool)).get(file)
  if (rendered === undefined || !('up' in rendered))
    throw new InvalidInputError(
      `${path}: ${tool} cannot render this migration${rendered === undefined ? ` (its name does not start with a number, as ${tool} requires)` : `: ${rendered.reason}`}`,
      {
        where: path,
        hint:
          rendered === undefined
            ? `name it <timestamp>_<title>.js, as ${tool} creates them`
            : (rendered.hint ?? notRenderableHint(tool)),
      },
    )
  return {
    id: path,
    title: `${rendered.title} (${tool})`,
    file: path,
    revision: undefined,
    phase: undefined,
    hasDowngrade: undefined,
    start: { inTransaction: rendered.transactional, lockTimeoutMs: undefined, statementTimeoutMs: undefined },
    // Each statement at the line of the call that made it.
    up: parseCallSteps(rendered.steps ?? [{ sql: rendered.up, line: undefined }], path),
    // The tool's way back, as it renders it (no lines: the text is analysed as a whole).
    down: rendered.down === undefined ? undefined : parseSql(rendered.down, path),
    allow: [],
    unverifiable: [],
    invalidCalls: [],
  }
}
