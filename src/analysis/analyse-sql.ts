import type { MigrationPhase } from '../graph/migration.js'
import { type AnalysisSettings, analyseMigration, type MigrationReport } from './analyse-migration.js'
import type { MigrationSource } from './analysed-statement.js'
import { loadParser, parseSql } from './parse-sql.js'
import { SchemaModel, type TableFacts } from './schema-model.js'

export interface AnalyseSqlOptions {
  /**
   * Analyse as a Strata migration: the runner wraps it in a transaction and sets
   * lock_timeout (5s). Otherwise it is a plain script in autocommit mode.
   */
  readonly runner?: boolean
  /** With `runner`: false analyses a `transactional: false` migration (default true). */
  readonly transactional?: boolean
  readonly serverVersion?: number
  readonly phase?: MigrationPhase
  /** The downgrade's SQL; `null` for a migration without one. */
  readonly downgrade?: string | null
  readonly revision?: string
  readonly levels?: AnalysisSettings['levels']
  /** What connected mode would read of the tables, by table key (`users`, `app.users`). */
  readonly database?: ReadonlyMap<string, TableFacts>
}

/**
 * Analyses SQL text on its own, without a project or a database.
 *
 * @example const report = await analyseSql('CREATE INDEX ix ON users (email)')
 *          report.findings[0].rule === 'create-index-not-concurrently'
 */
export async function analyseSql(sql: string, options: AnalyseSqlOptions = {}): Promise<MigrationReport> {
  await loadParser()
  const runner = options.runner ?? false
  const revision = runner ? (options.revision ?? 'example') : undefined
  const source: MigrationSource = {
    id: revision ?? '(sql)',
    title: revision ?? '(sql)',
    file: undefined,
    revision,
    phase: options.phase,
    hasDowngrade: runner ? options.downgrade !== null : undefined,
    start: runner
      ? { inTransaction: options.transactional ?? true, lockTimeoutMs: 5000, statementTimeoutMs: undefined }
      : { inTransaction: false, lockTimeoutMs: undefined, statementTimeoutMs: undefined },
    up: parseSql(sql, '(sql)', 1),
    down: typeof options.downgrade === 'string' ? parseSql(options.downgrade, '(downgrade)', 1) : undefined,
    allow: [],
    unverifiable: [],
    invalidCalls: [],
  }
  return analyseMigration(source, new SchemaModel(options.database), {
    serverVersion: options.serverVersion ?? 16,
    levels: options.levels ?? new Map(),
    versionColumnLength: 32,
  })
}
