import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { portedSql } from '../adopt/alembic/port-alembic.js'
import { locateInFile } from '../config/describe-load-failure.js'
import type { ResolvedConfig } from '../config/types.js'
import { InvalidMigrationError } from '../errors/index.js'
import type { MigrationBody, MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { parseSqlMigration } from '../graph/sql-migration-file.js'
import { loadTsMigration } from '../graph/ts-migration-file.js'
import { describeCodeError } from '../ops/code-error.js'
import { inlineParams } from '../ops/inline-params.js'
import { MigrationOp } from '../ops/migration-op.js'
import type { SqlExecutor, StatementSource } from '../ops/sql-executor.js'
import { lockSettings } from '../runner/lock-retry.js'
import type { PlanStep } from '../runner/plan.js'
import { runMigrationBody } from '../runner/run-migration-body.js'
import { findInSource, lineAndColumn } from '../util/source-position.js'
import type { ExecutionStart, InvalidOpCall, MigrationSource } from './analysed-statement.js'
import { isScriptMigration } from './migration-source.js'
import {
  type AllowComment,
  allowComments,
  loadParser,
  type ParsedStatement,
  parseCallSteps,
  parseSql,
} from './parse-sql.js'

// Strata migrations (SQL with `-- migrate:up`, or TypeScript) rendered for analysis as the
// runner would run them. Loaded only when there is one to check: plain SQL files need none
// of the graph, ops and runner modules this pulls in.

/**
 * Records the SQL a TypeScript migration would run, without a database. `op.query`
 * gets no rows; each such query is noted, since SQL built from its results cannot be
 * known until the migration runs.
 */
class AnalysisExecutor implements SqlExecutor {
  readonly offline = true
  inTransaction: boolean
  recipeDepth = 0
  current: undefined
  readonly completed: string[] = []
  readonly statements: RenderedStatement[] = []
  readonly unknown: string[] = []

  constructor(transactional: boolean) {
    this.inTransaction = transactional
  }

  async run(sql: string, params: readonly unknown[] = [], source?: StatementSource): Promise<undefined> {
    const text = inlineParams(sql.trim().replace(/;\s*$/, ''), params)
    this.completed.push(text)
    this.statements.push({
      sql: text,
      line: source?.line,
      // Where the migration's code called op: the line a statement the op API rendered
      // is reported at (SQL written out in the file is found in its text instead).
      callSite: source?.callSite ?? new Error(),
      managed: source?.managed === true,
      partitionAware: source?.partitionAware === true,
      note: source?.note,
      // A recipe's step: the recipe finds on a re-run what an interrupted run left.
      rerunGuarded: this.recipeDepth > 0,
    })
    return undefined
  }

  async send(sql: string, params: readonly unknown[] = [], source?: StatementSource): Promise<void> {
    await this.run(sql, params, source)
  }

  /** The COPY statement is analysed (it locks and loads its table); its rows are data. */
  async copyFrom(sql: string, _data: string, source?: StatementSource): Promise<undefined> {
    return this.run(sql, [], source)
  }

  readonly unknownRows = (sql: string): Record<string, unknown>[] => {
    this.unknown.push(
      `reads query results (op.query: ${sql.replace(/\s+/g, ' ').trim().slice(0, 80)}); SQL built from them is not analysed`,
    )
    return []
  }
}

/** What the runner sets up before a migration's first statement. */
export function runnerStart(config: ResolvedConfig, meta: MigrationMeta): ExecutionStart {
  const settings = lockSettings(config.lock, meta)
  return {
    inTransaction: meta.transactional,
    lockTimeoutMs: settings.lockTimeout || undefined,
    statementTimeoutMs: settings.statementTimeout || undefined,
  }
}

/** A migration of the project, rendered for analysis (upgrade and downgrade). */
export async function migrationSource(
  migrations: MigrationSet,
  meta: MigrationMeta,
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
): Promise<MigrationSource> {
  // The parser's WebAssembly loads asynchronously: a caller that has not awaited it
  // (a downgrade's data-loss probe, several tenants at once) would find it missing.
  await loadParser()
  if (meta.format === 'alembic') return alembicSource(meta, config)
  return sourceFromBody(meta, await migrations.body(meta.revision), config, args)
}

/**
 * An Alembic (Python) migration, analysed as the SQL migration `strata convert` ports it
 * to (the SQL Alembic's offline mode writes for its op calls), run by Strata's runner,
 * each statement at the line of its op call. One that is Python code (a data migration
 * reading rows, a loop) cannot be: it is unverifiable, with the line that stops the port.
 */
function alembicSource(meta: MigrationMeta, config: ResolvedConfig): MigrationSource {
  const ported = portedSql(meta.file, readFileSync(meta.file, 'utf8'), meta, config.rootDir)
  const portable = !('reason' in ported)
  return {
    id: meta.revision,
    revision: meta.revision,
    file: meta.file,
    title: meta.message,
    phase: meta.phase,
    hasDowngrade: meta.hasDowngrade,
    start: runnerStart(config, portable ? { ...meta, transactional: ported.transactional } : meta),
    up: portable ? parseCallSteps(ported.up, meta.file) : [],
    down: portable && ported.down !== undefined ? parseCallSteps(ported.down, meta.file) : undefined,
    allow: [],
    unverifiable: portable
      ? []
      : [
          `an Alembic migration Strata cannot port${ported.line === undefined ? '' : ` (line ${ported.line})`}: ${ported.reason}`,
        ],
    invalidCalls: [],
  }
}

async function sourceFromBody(
  meta: MigrationMeta,
  body: MigrationBody,
  config: ResolvedConfig,
  args: Readonly<Record<string, string>>,
  text?: string,
): Promise<MigrationSource> {
  const base = sourceBase(meta, config)
  if (body.kind === 'sql') {
    return {
      ...base,
      up: parseSqlSide(meta, body.up),
      down: body.down === undefined ? undefined : parseSqlSide(meta, body.down),
      allow: headerAllows(text ?? readFileSync(meta.file, 'utf8')),
      unverifiable: [],
      invalidCalls: [],
    }
  }
  const up = await renderTs(meta, body, 'up', args)
  const down = body.downgrade === undefined ? undefined : await renderTs(meta, body, 'down', args)
  return {
    ...base,
    up: up.statements,
    down: down?.statements,
    allow: exportedAllows(meta, body.exports.allow),
    unverifiable: up.unverifiable,
    // The downgrade's too: a rollback is no time to find out it calls a method op lacks.
    invalidCalls: [...up.invalidCalls, ...(down?.invalidCalls ?? [])],
  }
}

function sourceBase(meta: MigrationMeta, config: ResolvedConfig) {
  return {
    id: meta.revision,
    title: meta.message || meta.revision,
    file: meta.file,
    revision: meta.revision,
    phase: meta.phase,
    hasDowngrade: meta.hasDowngrade,
    start: runnerStart(config, meta),
  }
}

function parseSqlSide(meta: MigrationMeta, statements: readonly { sql: string; line: number }[]) {
  return statements.flatMap((statement) => parseSql(statement.sql, meta.file, statement.line))
}

/** A statement a TypeScript migration ran against the recording executor. */
interface RenderedStatement {
  readonly sql: string
  readonly line: number | undefined
  readonly callSite: Error
  readonly managed: boolean
  readonly partitionAware: boolean
  readonly note: string | undefined
  readonly rerunGuarded: boolean
}

async function renderTs(
  meta: MigrationMeta,
  body: MigrationBody,
  direction: 'up' | 'down',
  args: Readonly<Record<string, string>>,
): Promise<{ statements: ParsedStatement[]; unverifiable: string[]; invalidCalls: InvalidOpCall[] }> {
  const { rendered, unverifiable, invalidCalls } = await renderTsStatements(meta, body, direction, args)
  return { statements: parseRendered(meta, rendered), unverifiable, invalidCalls }
}

/** The SQL a TypeScript migration's upgrade or downgrade runs, recorded offline (not parsed). */
async function renderTsStatements(
  meta: MigrationMeta,
  body: MigrationBody,
  direction: 'up' | 'down',
  args: Readonly<Record<string, string>>,
): Promise<{
  rendered: readonly RenderedStatement[]
  unverifiable: string[]
  invalidCalls: InvalidOpCall[]
}> {
  const executor = new AnalysisExecutor(meta.transactional)
  const op = new MigrationOp(executor, { revision: meta.revision, file: meta.file, direction, args })
  const unverifiable: string[] = []
  const invalidCalls: InvalidOpCall[] = []
  const step = { revision: meta.revision, direction, meta } as PlanStep
  const side = direction === 'up' ? 'upgrade' : 'downgrade'
  try {
    await runMigrationBody(body, step, op)
  } catch (error) {
    const { where, line, opHint } = describeCodeError(error, meta.file)
    const message = String((error as Error)?.message ?? error).split('\n')[0]!
    // Until the code has read a query result (which is empty offline), the render is
    // the run: a call op refuses here is refused on the server too.
    if (opHint !== undefined && executor.unknown.length === 0)
      invalidCalls.push({ side, error: message, line, fix: opHint })
    else
      unverifiable.push(
        `${side}() stopped while rendering offline at ${where} (${message}${opHint ? `; ${opHint}` : ''}); what follows is not analysed`,
      )
  }
  return { rendered: executor.statements, unverifiable: [...executor.unknown, ...unverifiable], invalidCalls }
}

/** Rendered statements parsed; SQL written out in the file gets the file's line numbers, as in an SQL migration. */
function parseRendered(meta: MigrationMeta, rendered: readonly RenderedStatement[]): ParsedStatement[] {
  const fileText = readFileSync(meta.file, 'utf8')
  let cursor = 0
  return rendered.flatMap((statement) => {
    const at = findInSource(fileText, statement.sql, cursor)
    if (at !== undefined) cursor = at + statement.sql.length
    const firstLine =
      at === undefined ? locateInFile(statement.callSite, meta.file) : lineAndColumn(fileText, at).line
    return parseSql(statement.sql, meta.file, firstLine).map((parsed) =>
      statement.managed || statement.partitionAware || statement.note !== undefined || statement.rerunGuarded
        ? {
            ...parsed,
            managed: statement.managed,
            partitionAware: statement.partitionAware,
            ...(statement.note === undefined ? {} : { note: statement.note }),
            ...(statement.rerunGuarded ? { rerunGuarded: true } : {}),
          }
        : parsed,
    )
  })
}

/** Words without which a statement destroys no data: DROP TABLE/COLUMN/SCHEMA, TRUNCATE, DELETE. */
const MAY_DESTROY = /\b(?:drop|truncate|delete)\b/i

/**
 * One side (upgrade or downgrade) of a migration, parsed, when its SQL could destroy
 * data; undefined when none of its statements names DROP, TRUNCATE or DELETE. This is
 * the probe before every upgrade and downgrade: a side of CREATE TABLE and ADD COLUMN
 * costs a render, never the parser's load.
 */
export async function destructiveSide(
  migrations: MigrationSet,
  meta: MigrationMeta,
  direction: 'up' | 'down',
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
): Promise<{ source: MigrationSource; statements: ParsedStatement[] } | undefined> {
  if (meta.format === 'alembic') return undefined
  const body = await migrations.body(meta.revision)
  const source: MigrationSource = {
    ...sourceBase(meta, config),
    up: [],
    down: undefined,
    allow: [],
    unverifiable: [],
    invalidCalls: [],
  }
  if (body.kind === 'sql') {
    const side = direction === 'up' ? body.up : body.down
    if (side === undefined || !side.some((statement) => MAY_DESTROY.test(statement.sql))) return undefined
    await loadParser()
    return { source, statements: parseSqlSide(meta, side) }
  }
  if (direction === 'down' && body.downgrade === undefined) return undefined
  const { rendered } = await renderTsStatements(meta, body, direction, args)
  if (!rendered.some((statement) => MAY_DESTROY.test(statement.sql))) return undefined
  await loadParser()
  return { source, statements: parseRendered(meta, rendered) }
}

/** `-- strata:allow` comments above `-- migrate:up`: they apply to the whole migration. */
function headerAllows(text: string): AllowComment[] {
  const lines = text.split('\n')
  const up = lines.findIndex((line) => /^\s*--\s*migrate:up\s*$/i.test(line))
  return allowComments(lines.slice(0, up === -1 ? lines.length : up).join('\n'), 1)
}

/** `export const allow = ['drop-column: reason', { rule, reason }]` in a TypeScript migration. */
function exportedAllows(meta: MigrationMeta, value: unknown): AllowComment[] {
  if (value === undefined) return []
  const problem = () =>
    new InvalidMigrationError(
      `${meta.file}: \`allow\` must be a list of 'rule: reason' strings or { rule, reason } objects`,
      {
        where: meta.file,
        hint: "export const allow = ['drop-column: the app stopped reading it in release 42']",
      },
    )
  if (!Array.isArray(value)) throw problem()
  return value.map((entry) => {
    if (typeof entry === 'string') {
      const [rule, ...reason] = entry.split(':')
      return { rule: rule!.trim(), reason: reason.join(':').trim(), line: undefined }
    }
    if (entry && typeof entry === 'object' && typeof (entry as { rule?: unknown }).rule === 'string') {
      const { rule, reason } = entry as { rule: string; reason?: unknown }
      return { rule, reason: typeof reason === 'string' ? reason.trim() : '', line: undefined }
    }
    throw problem()
  })
}

/** A Strata migration file named on the command line, analysed as the runner would run it. */
export async function migrationFileSource(
  path: string,
  text: string,
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
): Promise<MigrationSource> {
  const checksum = createHash('sha256').update(text).digest('hex')
  if (isScriptMigration(path)) {
    const loaded = await loadTsMigration(path, text, checksum)
    return sourceFromBody(loaded.meta, { kind: 'ts', ...loaded.body }, config, args)
  }
  const parsed = parseSqlMigration(text, path, checksum)
  return sourceFromBody(parsed.meta, { kind: 'sql', ...parsed.body }, config, args, text)
}
