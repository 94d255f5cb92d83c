import type { MigrationPhase } from '../graph/migration.js'
import type { StatementEffects } from './effects.js'
import type { AllowComment, ParsedStatement } from './parse-sql.js'

/** How a migration's statements start: what the runner sets up before the first one. */
export interface ExecutionStart {
  /** True when the runner opens a transaction around the migration. */
  readonly inTransaction: boolean
  /** `lock_timeout` the runner sets (ms); undefined when nothing sets one. */
  readonly lockTimeoutMs: number | undefined
  readonly statementTimeoutMs: number | undefined
}

/** One migration (or one SQL file) ready for analysis. */
export interface MigrationSource {
  /** The revision, or the file's path for plain SQL. */
  readonly id: string
  readonly title: string
  readonly file: string | undefined
  readonly revision: string | undefined
  readonly phase: MigrationPhase | undefined
  /** Undefined for plain SQL files, which have no downgrade to speak of. */
  readonly hasDowngrade: boolean | undefined
  readonly up: readonly ParsedStatement[]
  readonly down: readonly ParsedStatement[] | undefined
  readonly start: ExecutionStart
  /** Suppressions for the whole migration (SQL header comments, or `export const allow`). */
  readonly allow: readonly AllowComment[]
  /** Parts that cannot be rendered without a database. */
  readonly unverifiable: readonly string[]
  /**
   * Calls the op API cannot take (a mistyped method, an unknown option), made before the
   * code read any query result: the migration fails the same way when it runs.
   */
  readonly invalidCalls: readonly InvalidOpCall[]
}

/** A TypeScript migration's call that the op API refuses, found while rendering it offline. */
export interface InvalidOpCall {
  readonly side: 'upgrade' | 'downgrade'
  /** The error the call throws: "op.func is not a function". */
  readonly error: string
  readonly line: number | undefined
  /** What to write instead ("did you mean op.addColumn?"). */
  readonly fix: string
}

/** A statement with its lock model and the session state it runs in. */
export interface AnalysedStatement extends ParsedStatement {
  readonly index: number
  readonly kind: string
  readonly effects: StatementEffects
  /** Which transaction it runs in (numbered within the migration); undefined in autocommit. */
  readonly transaction: number | undefined
  /** `lock_timeout` in force (ms); undefined or 0 when it waits forever. */
  readonly lockTimeoutMs: number | undefined
  /** Who set it: 'runner' or 'line 3'. */
  readonly lockTimeoutFrom: string | undefined
  readonly statementTimeoutMs: number | undefined
}
