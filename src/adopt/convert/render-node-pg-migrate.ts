import { createRequire } from 'node:module'
import { join } from 'node:path'
import { locateInFile } from '../../config/describe-load-failure.js'
import { importModule } from '../../config/import-module.js'
import { InvalidInputError } from '../../errors/index.js'
import type { ForeignMigration, Unconvertible } from './foreign-migration.js'

// node-pg-migrate's JavaScript and TypeScript migrations build their SQL in code
// (`pgm.createTable('users', { id: 'id', ... })`). node-pg-migrate itself says what SQL
// that is: its MigrationBuilder collects each call's SQL without a database (what its
// --dry-run prints). The project's own node-pg-migrate renders them here, so the SQL is
// exactly what it runs; nothing is re-implemented or guessed.

/** A code migration of the directory, named as node-pg-migrate names it. */
export interface CodeMigrationFile {
  readonly file: string
  readonly version: string
  readonly title: string
}

/** One pgm call's SQL, and the line of the call in the migration's file. */
export interface CodeStep {
  readonly sql: string
  readonly line: number | undefined
}

/** The part of node-pg-migrate's MigrationBuilder the rendering uses. */
interface MigrationBuilder {
  enableReverseMode(): unknown
  isUsingTransaction(): boolean
  getSqlSteps(): string[]
}
type BuilderClass = new (
  db: unknown,
  typeShorthands: unknown,
  shouldDecamelize: boolean,
  logger: unknown,
) => MigrationBuilder
type Action = ((pgm: MigrationBuilder, done?: () => void) => unknown) | false | undefined

/** Thrown by the stand-in database: the migration reads rows, which no file can hold. */
class ReadsDatabase extends Error {}

const QUIET = { info() {}, warn() {}, error() {}, debug() {} }
const NO_DATABASE = {
  query: () => {
    throw new ReadsDatabase('pgm.db.query')
  },
  select: () => {
    throw new ReadsDatabase('pgm.db.select')
  },
}

/**
 * Renders node-pg-migrate code migrations, in order, to SQL: the up side, and the down
 * side from the module's `down`, or where it exports none, the up side reversed as
 * node-pg-migrate does (`down = false`, or a call it cannot reverse: no downgrade).
 * `shorthands` exported by a migration apply to it and every later one, as in
 * node-pg-migrate. A migration that reads the database (`pgm.db.query`) or fails is
 * returned as unconvertible with the reason.
 */
export async function renderCodeMigrations(
  directory: string,
  files: readonly CodeMigrationFile[],
): Promise<{
  migrations: ForeignMigration[]
  unconvertible: Unconvertible[]
}> {
  const Builder = await projectMigrationBuilder(directory)
  const migrations: ForeignMigration[] = []
  const unconvertible: Unconvertible[] = []
  let shorthands: Record<string, unknown> = {}
  for (const entry of files) {
    const path = join(directory, entry.file)
    let module: Record<string, unknown>
    try {
      module = await importModule(path)
    } catch (error) {
      unconvertible.push({ file: entry.file, ...codeFailure(error, path, entry.file, 'loading it') })
      continue
    }
    try {
      const actions = (
        module.up === undefined && typeof module.default === 'object' ? module.default : module
      ) as {
        up?: Action
        down?: Action
        shorthands?: Record<string, unknown>
      }
      shorthands = { ...shorthands, ...(actions.shorthands ?? {}) }
      if (typeof actions.up !== 'function') {
        unconvertible.push({ file: entry.file, reason: 'it exports no up function' })
        continue
      }
      const up = await render(Builder, actions.up, false, shorthands, path)
      const down =
        actions.down === false
          ? undefined
          : typeof actions.down === 'function'
            ? (await render(Builder, actions.down, false, shorthands)).sql
            : await reversed(Builder, actions.up, shorthands)
      migrations.push({
        version: entry.version,
        title: entry.title,
        appliedKey: entry.file.replace(/\.(js|cjs|mjs|ts)$/, ''),
        up: up.sql,
        steps: up.steps,
        down,
        transactional: up.transactional,
        source: entry.file,
      })
    } catch (error) {
      unconvertible.push(
        error instanceof ReadsDatabase
          ? {
              file: entry.file,
              reason: `it reads the database (${error.message}), so its SQL depends on the rows`,
            }
          : { file: entry.file, ...codeFailure(error, path, entry.file, 'rendering it') },
      )
    }
  }
  return { migrations, unconvertible }
}

/**
 * A migration whose code fails (a syntax error, a misspelt pgm method): node-pg-migrate
 * would fail on it too. The line of the file, and the fix there.
 */
function codeFailure(
  error: unknown,
  path: string,
  file: string,
  when: string,
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
    hint: `fix ${file}${line === undefined ? '' : ` at line ${line}`} (node-pg-migrate fails on it too), then run strata convert again`,
  }
}

async function render(
  Builder: BuilderClass,
  action: Exclude<Action, false | undefined>,
  reverse: boolean,
  shorthands: Record<string, unknown>,
  /** The migration's file: each pgm call's SQL is given the line of the call. */
  file?: string,
): Promise<{ sql: string; transactional: boolean; steps: CodeStep[] }> {
  const pgm = new Builder(NO_DATABASE, { ...shorthands }, false, QUIET)
  if (reverse) pgm.enableReverseMode()
  const lines: (number | undefined)[] = []
  if (file !== undefined && !reverse) recordCallLines(pgm, file, lines)
  // node-pg-migrate's callback form: up(pgm, run).
  if (action.length === 2) await new Promise<void>((resolve) => action(pgm, resolve))
  else await action(pgm)
  const sqlSteps = pgm.getSqlSteps()
  return {
    sql: sqlSteps.join('\n').trim(),
    transactional: pgm.isUsingTransaction(),
    steps: sqlSteps.map((sql, index) => ({ sql, line: lines[index] })),
  }
}

/**
 * Wraps the builder's methods so that each SQL step it adds is known with the line of
 * the migration's call that added it (`lines[step]`): findings then point at the call.
 */
function recordCallLines(pgm: MigrationBuilder, file: string, lines: (number | undefined)[]): void {
  const builder = pgm as unknown as Record<string, unknown>
  for (const name of Object.keys(builder)) {
    const method = builder[name]
    if (typeof method !== 'function' || name === 'func') continue
    builder[name] = (...args: unknown[]) => {
      const line = locateInFile(new Error('pgm call'), file)
      const before = pgm.getSqlSteps().length
      const result = (method as (...values: unknown[]) => unknown)(...args)
      for (let step = before; step < pgm.getSqlSteps().length; step++) lines[step] ??= line
      return result
    }
  }
}

/** The up side reversed, as node-pg-migrate runs a migration without `down`; undefined when a call has no reverse. */
async function reversed(
  Builder: BuilderClass,
  up: Exclude<Action, false | undefined>,
  shorthands: Record<string, unknown>,
): Promise<string | undefined> {
  try {
    return (await render(Builder, up, true, shorthands)).sql
  } catch (error) {
    if (/Impossible to automatically infer down migration/.test((error as Error)?.message ?? ''))
      return undefined
    throw error
  }
}

/** The MigrationBuilder of the node-pg-migrate installed for the migrations' project. */
async function projectMigrationBuilder(directory: string): Promise<BuilderClass> {
  let entry: string
  try {
    entry = createRequire(join(directory, 'noop.js')).resolve('node-pg-migrate')
  } catch {
    throw new InvalidInputError(
      `${directory} holds node-pg-migrate JavaScript or TypeScript migrations, and node-pg-migrate is not installed for it`,
      {
        hint: "strata convert renders them with the project's own node-pg-migrate: npm install node-pg-migrate in the project (version 7 or newer), then run it again",
      },
    )
  }
  // Through the same loader as migrations: the bundled CLI has no native import() of a path.
  const library = (await importModule(entry)) as { MigrationBuilder?: BuilderClass }
  if (typeof library.MigrationBuilder !== 'function')
    throw new InvalidInputError(`the node-pg-migrate at ${entry} does not export MigrationBuilder`, {
      hint: 'node-pg-migrate 7 or newer does: npm install node-pg-migrate@latest in the project, then run it again',
    })
  return library.MigrationBuilder
}
