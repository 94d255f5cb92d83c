import { locateInFile } from '../../config/describe-load-failure.js'
import { InvalidInputError } from '../../errors/index.js'
import {
  type CodeMigrationFile,
  type CodeStep,
  migrationExports,
  projectLibrary,
  ReadsDatabase,
  renderEach,
} from './code-migrations.js'
import type { ForeignMigration, Unconvertible } from './foreign-migration.js'

// node-pg-migrate's JavaScript and TypeScript migrations build their SQL in code
// (`pgm.createTable('users', { id: 'id', ... })`). node-pg-migrate itself says what SQL
// that is: its MigrationBuilder collects each call's SQL without a database (what its
// --dry-run prints). The project's own node-pg-migrate renders them here, so the SQL is
// exactly what it runs; nothing is re-implemented or guessed.

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
): Promise<{ migrations: ForeignMigration[]; unconvertible: Unconvertible[] }> {
  const Builder = await projectMigrationBuilder(directory)
  let shorthands: Record<string, unknown> = {}
  return renderEach(directory, files, 'node-pg-migrate', async (module, entry, path) => {
    const actions = migrationExports(module) as {
      up?: Action
      down?: Action
      shorthands?: Record<string, unknown>
    }
    shorthands = { ...shorthands, ...(actions.shorthands ?? {}) }
    if (typeof actions.up !== 'function') throw new Error('it exports no up function')
    const up = await render(Builder, actions.up, false, shorthands, path)
    const down =
      actions.down === false
        ? undefined
        : typeof actions.down === 'function'
          ? (await render(Builder, actions.down, false, shorthands)).sql
          : await reversed(Builder, actions.up, shorthands)
    return {
      version: entry.version,
      title: entry.title,
      appliedKey: entry.file.replace(/\.(js|cjs|mjs|ts)$/, ''),
      up: up.sql,
      steps: up.steps,
      down,
      transactional: up.transactional,
      source: entry.file,
    }
  })
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
  const library = await projectLibrary(
    directory,
    'node-pg-migrate',
    'node-pg-migrate JavaScript or TypeScript migrations',
    'npm install node-pg-migrate (version 7 or newer)',
  )
  if (typeof library.MigrationBuilder !== 'function')
    throw new InvalidInputError(
      `the node-pg-migrate installed for ${directory} does not export MigrationBuilder`,
      {
        hint: 'node-pg-migrate 7 or newer does: npm install node-pg-migrate@latest in the project, then run it again',
      },
    )
  return library.MigrationBuilder as BuilderClass
}
