import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { ConfigError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { didYouMean } from '../util/closest-match.js'
import {
  analyseMigration,
  type Finding,
  type LevelSetting,
  type MigrationReport,
  replayMigration,
} from './analyse-migration.js'
import type { MigrationSource } from './analysed-statement.js'
import { relationsIn } from './ast.js'
import { type DatabaseFacts, type LongTransaction, readDatabaseFacts } from './database-facts.js'
import { fileSource } from './migration-source.js'
import { loadParser } from './parse-sql.js'
import { multipleHeads, ruleIds } from './rules/index.js'
import { SchemaModel } from './schema-model.js'
import { readOrRecord, type UnreadableMigration } from './unreadable-migration.js'

export interface CheckOptions {
  readonly config: ResolvedConfig
  /** SQL or migration files to check instead of the project's migrations (`-` is stdin, text given). */
  readonly files?: readonly { path: string; text: string }[]
  /** `A:B`: the migrations after A up to B (Alembic's range), instead of the pending ones. */
  readonly range?: string
  /**
   * Only the migrations whose files a branch changed (`--changed-since origin/main`),
   * the ones before them replayed into the schema model: what a pull request adds.
   */
  readonly changedSince?: { readonly ref: string; readonly files: ReadonlySet<string> }
  /** Exactly these revisions, in this order (what a deploy is about to apply). */
  readonly revisions?: readonly string[]
  /** Connected mode: pending migrations, real sizes, column types, long transactions. */
  readonly client?: pg.ClientBase
  /** Server major version to assume offline (default: config check.serverVersion, 16). */
  readonly serverVersion?: number
  readonly args?: Readonly<Record<string, string>>
  /** psql variables for plain SQL scripts (`:name`), as `psql -v` gives them. */
  readonly psqlVariables?: Readonly<Record<string, string>>
  /** Already loaded migrations (a fleet loads them once for every tenant). */
  readonly migrations?: MigrationSet
}

export interface CheckReport {
  readonly mode: 'connected' | 'offline'
  /** The major version the analysis assumed: --pg-version, else the server's, else the config's. */
  readonly serverVersion: number
  /** Connected: the server's own major version, when --pg-version named another. */
  readonly connectedVersion?: number
  /** What was checked: "pending migrations", "all migrations", "range a:b", "files". */
  readonly selection: string
  readonly migrations: readonly MigrationReport[]
  /** Findings about the project as a whole (multiple heads). */
  readonly project: readonly Finding[]
  readonly longTransactions: readonly LongTransaction[]
  readonly excluded: readonly string[]
  /** What the reader should know about how the check was made ("analysed from the files: the database already has ..."). */
  readonly notes: readonly string[]
  /**
   * Migrations that could not be read or parsed, with what is wrong and where. The rest
   * are analysed all the same; the CLI then exits 2 (bad input).
   */
  readonly unreadable: readonly UnreadableMigration[]
  readonly counts: {
    readonly errors: number
    readonly warnings: number
    readonly infos: number
    readonly suppressed: number
  }
}

/**
 * `strata check`: the safety analysis of migrations before they run. Without a
 * client it works from the files alone (CI); with one it checks the pending
 * migrations and ranks risk by the real tables.
 *
 * @example const report = await checkMigrations({ config, range: 'base:head' })
 *          if (report.counts.errors > 0) process.exitCode = 1
 */
export async function checkMigrations(options: CheckOptions): Promise<CheckReport> {
  const { config } = options
  const levels = ruleLevels(config)
  await loadParser()
  let migrations: MigrationSet | undefined
  let loaders: (() => Promise<MigrationSource | undefined>)[]
  let history: MigrationSource[] = []
  let selection: string
  const excluded: string[] = []
  const unreadable: UnreadableMigration[] = []
  const notes: string[] = []
  let applied: string[] = []
  if (options.files !== undefined && options.files.length > 0) {
    loaders = options.files.map(
      (file) => () =>
        readOrRecord(
          file.path,
          file.path,
          () => fileSource(file.path, file.text, config, options.args, options.psqlVariables),
          unreadable,
        ),
    )
    selection = options.files.length === 1 ? options.files[0]!.path : `${options.files.length} files`
  } else {
    // The graph, planner and renderer load only here: checking SQL files needs none of them.
    const { projectSources } = await import('./project-sources.js')
    const project = await projectSources(options)
    ;({ migrations, selection, history } = project)
    loaders = project.sources.map((source) => () => Promise.resolve(source))
    excluded.push(...project.excluded)
    unreadable.push(...project.unreadable)
    applied = project.applied
  }
  let facts: DatabaseFacts | undefined
  let liveVersion: number | undefined
  if (options.client && applied.length > 0) {
    // The database's tables show the schema after these migrations, not before them.
    notes.push(
      `the database already has ${applied.join(', ')}: the range is analysed from the migration files, as offline (no table sizes)`,
    )
    const { readServerVersionNum } = await import('../db/connect.js')
    liveVersion = Math.floor((await readServerVersionNum(options.client)) / 10000)
  } else if (options.client) {
    // Connected mode looks every table up in one round trip, before the analysis.
    const sources: MigrationSource[] = []
    for (const load of loaders) {
      const source = await load()
      if (source !== undefined) sources.push(source)
    }
    loaders = sources.map((source) => () => Promise.resolve(source))
    facts = await readDatabaseFacts(
      options.client,
      sources.flatMap(tablesOf),
      (await import('../runner/tables.js')).runnerTables(config).version,
      config.check.longTransactionSeconds,
    )
  }
  const serverVersion =
    options.serverVersion ?? facts?.serverVersion ?? liveVersion ?? config.check.serverVersion
  const model = new SchemaModel(facts?.tables)
  const settings = {
    serverVersion,
    levels,
    versionColumnLength: facts?.versionColumnLength ?? 32,
  }
  // Offline, each file is parsed just before it is analysed: its syntax tree is garbage
  // before the next file's is built, instead of a thousand files' trees alive at once
  // and copied by every garbage collection (~10% of a large run).
  for (const source of history) replayMigration(source, model)
  const reports: MigrationReport[] = []
  for (const load of loaders) {
    const source = await load()
    if (source !== undefined) reports.push(analyseMigration(source, model, settings))
  }
  const project = migrations === undefined ? [] : projectFindings(migrations, levels)
  const all = [...reports.flatMap((report) => report.findings), ...project]
  const counted = all.filter((finding) => finding.suppressed === undefined)
  return {
    mode: facts ? 'connected' : 'offline',
    serverVersion,
    ...(facts !== undefined && facts.serverVersion !== serverVersion
      ? { connectedVersion: facts.serverVersion }
      : {}),
    selection,
    migrations: reports,
    project,
    longTransactions: facts?.longTransactions ?? [],
    excluded,
    notes,
    unreadable,
    counts: {
      errors: counted.filter((f) => f.level === 'error').length,
      warnings: counted.filter((f) => f.level === 'warning').length,
      infos: counted.filter((f) => f.level === 'info').length,
      suppressed: all.length - counted.length,
    },
  }
}

/** Every table a migration's statements name, for connected mode's lookups. */
function tablesOf(source: MigrationSource): string[] {
  return source.up.flatMap((statement) => relationsIn(statement.node))
}

function projectFindings(migrations: MigrationSet, levels: ReadonlyMap<string, LevelSetting>): Finding[] {
  const level = levels.get(multipleHeads.id) ?? multipleHeads.level
  if (level === 'off') return []
  return multipleHeads.check(migrations.graph).map((hit) => ({
    rule: multipleHeads.id,
    level,
    message: hit.message,
    fix: hit.fix,
    line: undefined,
    statement: undefined,
    suppressed: undefined,
  }))
}

/** `check.rules` of the config, with unknown rule ids refused (exit 2). */
function ruleLevels(config: ResolvedConfig): Map<string, LevelSetting> {
  const known = ruleIds()
  const levels = new Map<string, LevelSetting>()
  for (const [rule, level] of Object.entries(config.check.rules)) {
    if (!known.includes(rule)) {
      throw new ConfigError(`check.rules: unknown rule "${rule}".${didYouMean(rule, known)}`, {
        where: config.file ?? 'config',
        hint: '`strata check --rules` lists every rule id',
      })
    }
    levels.set(rule, level)
  }
  return levels
}
