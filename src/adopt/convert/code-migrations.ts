import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { locateInFile } from '../../config/describe-load-failure.js'
import { importModule } from '../../config/import-module.js'
import { InvalidInputError } from '../../errors/index.js'
import type { ForeignMigration, Unconvertible } from './foreign-migration.js'

// Migrations another tool builds in code (node-pg-migrate's `pgm.createTable(...)`,
// Knex's `knex.schema.createTable(...)`) are rendered to SQL by the project's own copy
// of that tool, which says exactly what SQL it runs. What is common to them: loading
// each file, the tool's library, and telling a migration that cannot be rendered (it
// reads the database, or its code fails) with its reason.

/** A code migration of a directory, named as its tool names it. */
export interface CodeMigrationFile {
  readonly file: string
  readonly version: string
  readonly title: string
}

/** `<number>_<title>.js` (or `-`, and .cjs, .mjs, .ts): how Knex and node-pg-migrate name them. */
const NUMBERED_CODE_FILE = /^(\d+)[_-](.+)\.(js|cjs|mjs|ts)$/

/**
 * A directory's code migrations, in name order: the files `pattern` matches (its first
 * group the version, its second the title's source), type declarations left out.
 */
export function codeMigrationFiles(
  directory: string,
  pattern: RegExp = NUMBERED_CODE_FILE,
  title: (name: string) => string = (name) => name.replace(/[_-]/g, ' '),
): CodeMigrationFile[] {
  const files: CodeMigrationFile[] = []
  for (const name of readdirSync(directory).sort()) {
    const match = pattern.exec(name)
    if (match !== null && !name.endsWith('.d.ts'))
      files.push({ file: name, version: match[1]!, title: title(match[2]!) })
  }
  return files
}

/** One call's SQL, and the line of the call in the migration's file. */
export interface CodeStep {
  readonly sql: string
  readonly line: number | undefined
}

/** Thrown by a stand-in database: the migration reads rows, which no file can hold. */
export class ReadsDatabase extends Error {}

/** The migration does something only its tool, with a database, can say the SQL of: the reason. */
export class NotRenderable extends Error {}

/**
 * Each file loaded and given to `render`, in order; a file that fails to load or to
 * render is returned as unconvertible with its reason (and, for code that fails, its
 * line and the fix there).
 */
export async function renderEach(
  directory: string,
  files: readonly CodeMigrationFile[],
  tool: string,
  render: (
    module: Record<string, unknown>,
    entry: CodeMigrationFile,
    path: string,
  ) => Promise<ForeignMigration>,
): Promise<{ migrations: ForeignMigration[]; unconvertible: Unconvertible[] }> {
  const migrations: ForeignMigration[] = []
  const unconvertible: Unconvertible[] = []
  for (const entry of files) {
    const path = join(directory, entry.file)
    let module: Record<string, unknown>
    try {
      module = await importModule(path)
    } catch (error) {
      unconvertible.push({ file: entry.file, ...codeFailure(error, path, entry.file, 'loading it', tool) })
      continue
    }
    try {
      migrations.push(await render(module, entry, path))
    } catch (error) {
      unconvertible.push(
        error instanceof ReadsDatabase
          ? {
              file: entry.file,
              reason: `it reads the database (${error.message}), so its SQL depends on the rows`,
            }
          : error instanceof NotRenderable
            ? { file: entry.file, reason: error.message }
            : { file: entry.file, ...codeFailure(error, path, entry.file, 'rendering it', tool) },
      )
    }
  }
  return { migrations, unconvertible }
}

/**
 * What to do about a migration no file can hold (it reads the database, or uses what
 * only its tool can render): write it as SQL, or adopt the database as it is.
 */
export function notRenderableHint(tool: string): string {
  const sql = tool === 'node-pg-migrate' ? "node-pg-migrate's -- Up Migration files, or Strata's" : "Strata's"
  return `write what they do as SQL migrations (${sql}), or adopt the database with a baseline instead, which takes its schema as it is: strata revision -m "baseline" --baseline`
}

/** A module's migration functions: its own exports, or those of its default export. */
export function migrationExports(module: Record<string, unknown>): Record<string, unknown> {
  return (
    module.up === undefined && typeof module.default === 'object' && module.default !== null
      ? module.default
      : module
  ) as Record<string, unknown>
}

/**
 * The tool's library as the migrations' project has it installed (the version that
 * wrote and runs them), loaded through the migrations' loader (the bundled CLI has no
 * native import() of a path).
 */
export async function projectLibrary(
  directory: string,
  name: string,
  what: string,
  install: string,
): Promise<Record<string, unknown>> {
  let entry: string
  try {
    entry = createRequire(join(directory, 'noop.js')).resolve(name)
  } catch {
    throw new InvalidInputError(`${directory} holds ${what}, and ${name} is not installed for it`, {
      hint: `strata renders them with the project's own ${name}: ${install} in the project, then run it again`,
    })
  }
  return importModule(entry)
}

/**
 * A migration whose code fails (a syntax error, a misspelt method): its tool would fail
 * on it too. The line of the file, and the fix there.
 */
function codeFailure(
  error: unknown,
  path: string,
  file: string,
  when: string,
  tool: string,
): { reason: string; hint: string } {
  const line = locateInFile(error, path)
  const message = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .replace(/^ParseError:\s*/, '')
    .trim()
  const syntax =
    /ParseError|SyntaxError|Unexpected token/.test(String(error)) || (error as Error)?.name === 'SyntaxError'
  return {
    reason: `${line === undefined ? '' : `line ${line}: `}${syntax ? 'syntax error' : `failed while ${when}`}: ${message}`,
    hint: `fix ${file}${line === undefined ? '' : ` at line ${line}`} (${tool} fails on it too), then run strata convert again`,
  }
}
