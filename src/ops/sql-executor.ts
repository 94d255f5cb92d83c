import type pg from 'pg'
import { refuseAfterCancel } from '../db/cancellable-sessions.js'
import { copyFrom } from '../db/copy-from.js'
import { BatchError, type StatementBatch } from '../db/statement-batch.js'
import { inlineParams } from './inline-params.js'

/** Where a statement came from, for error messages (an SQL migration's line). */
export interface StatementSource {
  readonly line?: number | undefined
  /**
   * Issued by the op API itself to leave or re-enter the migration's transaction
   * (`op.autocommit`, used by backfills and concurrent builds): by design, so the
   * analysis does not report it as the migration's own BEGIN/COMMIT.
   */
  readonly managed?: boolean
  /**
   * `op.createIndex(..., { concurrently: true })`: run online, it builds a partitioned
   * table's index partition by partition, so the analysis does not take the rendered
   * statement for a CREATE INDEX CONCURRENTLY PostgreSQL would refuse.
   */
  readonly partitionAware?: boolean
  /**
   * What `strata check` should add about the statement, where offline rendering shows
   * more than runs online (a recipe's re-run guard that a first run skips).
   */
  readonly note?: string
  /**
   * Where `op` was called, for a statement the op API rendered (a TypeScript migration's
   * `op.addColumn(...)`): its stack, read only when the statement fails, names the line
   * of the migration file. Captured online only; the trace is formatted lazily by V8.
   */
  readonly callSite?: Error
}

/**
 * Runs the statements of a migration: against a connection (online) or into a
 * script (offline `--sql`). The `op` API is written once against this interface.
 */
export interface SqlExecutor {
  readonly offline: boolean
  /** True while the migration's statements run inside its transaction. */
  inTransaction: boolean
  /**
   * Set once `op.autocommit` has committed part of a transactional migration: a failure
   * after it no longer leaves the database as it was, and the report must say so.
   */
  committedEarly?: boolean
  /**
   * Set once work of the migration's is known committed: its statements before an
   * `op.autocommit` (whose COMMIT takes them), or an autocommit block that finished. A
   * failure in the first block, with nothing before it, leaves only that block's own.
   */
  committedWork?: boolean
  /**
   * How many recipe calls (`op.changeColumnType`, `op.dedupeAndAddUnique`, ...) are under
   * way: their statements are the recipe's, which finds on a re-run what an interrupted
   * run left, so the analysis does not ask each one to be written to run twice.
   */
  recipeDepth?: number
  run(sql: string, params?: readonly unknown[], source?: StatementSource): Promise<pg.QueryResult | undefined>
  /**
   * Runs a statement whose result nobody reads (`op.execute`). Online, inside the
   * migration's transaction, it may wait to travel with the next round trip; an error
   * then surfaces there and fails the migration just the same.
   */
  send(sql: string, params?: readonly unknown[], source?: StatementSource): Promise<void>
  /**
   * Runs a `COPY ... FROM STDIN` with `data` as its rows (what psql sends after the
   * statement, without the `\.`); the rows loaded, online.
   */
  copyFrom(sql: string, data: string, source?: StatementSource): Promise<number | undefined>
  /** The statement being run, for error messages (kept by a clean-up after a failure). */
  current: { sql: string; source: StatementSource | undefined } | undefined
  /** Statements completed so far in this migration (to report a non-transactional failure exactly). */
  readonly completed: readonly string[]
  /**
   * Offline analysis only: answers `op.query` with no rows (and notes the query as
   * unverifiable) instead of failing, so the rest of the migration can be analysed.
   */
  readonly unknownRows?: (sql: string) => Record<string, unknown>[]
}

export class OnlineExecutor implements SqlExecutor {
  readonly offline = false
  inTransaction = false
  committedEarly = false
  committedWork = false
  current: { sql: string; source: StatementSource | undefined } | undefined
  readonly completed: string[] = []
  /**
   * A statement of an earlier migration, sent along with this one's, failed: that
   * migration's failure, kept here so that a migration catching errors cannot hide it.
   */
  earlierFailure: BatchError<StatementSource> | undefined
  // After a SAVEPOINT the migration means to catch an error and roll back to it:
  // from then on every statement runs at once, so the error reaches its catch.
  #immediate = false
  #noted: BatchError<StatementSource> | undefined

  constructor(
    private readonly client: pg.ClientBase,
    /** Watches statements that wait for a lock, to say who blocks them. */
    private readonly watcher?: { watch<T>(work: Promise<T>): Promise<T> },
    /** Statements of the migration's transaction that wait for the next round trip. */
    private readonly batch?: StatementBatch<StatementSource>,
    /** Marks this migration's units in a batch that several migrations share. */
    readonly owner?: object,
  ) {}

  async run(sql: string, params: readonly unknown[] = [], source?: StatementSource): Promise<pg.QueryResult> {
    return this.#runTracked(sql, source, () =>
      params.length === 0 ? this.client.query(sql) : this.client.query(sql, params as unknown[]),
    )
  }

  async copyFrom(sql: string, data: string, source?: StatementSource): Promise<number> {
    return this.#runTracked(sql, source, () => copyFrom(this.client, sql, data))
  }

  /**
   * Runs one statement on its own round trip, after what waits in the batch: named as
   * `current` while it runs (for errors), watched for lock waits, then `completed`.
   */
  async #runTracked<T>(
    sql: string,
    source: StatementSource | undefined,
    start: () => Promise<T>,
  ): Promise<T> {
    await this.flush()
    refuseAfterCancel(this.client)
    this.current = { sql, source }
    const work = start()
    const result = this.watcher ? await this.watcher.watch(work) : await work
    // BEGIN and COMMIT around a recipe's step are not the migration's statements.
    if (source?.managed !== true) this.completed.push(sql)
    this.current = undefined
    return result
  }

  async send(sql: string, params: readonly unknown[] = [], source?: StatementSource): Promise<void> {
    if (/^\s*SAVEPOINT\b/i.test(sql)) this.#immediate = true
    if (this.batch === undefined || !this.inTransaction || params.length > 0 || this.#immediate) {
      await this.run(sql, params, source)
      return
    }
    this.batch.add({ sql, role: 'statement', ...(source === undefined ? {} : { source }) })
  }

  /** Sends the waiting statements; a failure names its statement as `current`. */
  async flush(): Promise<void> {
    if (this.batch === undefined) return
    try {
      await this.batch.flush()
    } catch (error) {
      if (error instanceof BatchError) {
        if (error.unit.owner !== this.owner) this.earlierFailure = error
        else this.noteFailure(error)
      }
      throw error
    }
  }

  /** What a failed batch says of this migration's statements: which completed, which failed. */
  noteFailure(error: BatchError<StatementSource>): void {
    if (this.#noted === error) return
    this.#noted = error
    for (const unit of error.completed)
      if (unit.role === 'statement' && unit.owner === this.owner) this.completed.push(unit.sql)
    if (error.unit.role === 'statement') this.current = { sql: error.unit.sql, source: error.unit.source }
  }
}

export class OfflineExecutor implements SqlExecutor {
  readonly offline = true
  inTransaction = false
  current: { sql: string; source: StatementSource | undefined } | undefined
  readonly completed: string[] = []
  /** The rows of each COPY ... FROM STDIN in `completed`, by its index there. */
  readonly #copyData = new Map<number, string>()

  async run(sql: string, params: readonly unknown[] = []): Promise<undefined> {
    this.completed.push(inlineParams(sql.trim().replace(/;\s*$/, ''), params))
    return undefined
  }

  async send(sql: string, params: readonly unknown[] = []): Promise<void> {
    await this.run(sql, params)
  }

  async copyFrom(sql: string, data: string): Promise<undefined> {
    this.#copyData.set(this.completed.length, data)
    return this.run(sql)
  }

  /** The statements as a psql script writes them: each ended by `;`, a COPY's rows after it up to `\.`. */
  scriptLines(): string[] {
    return this.completed.map((sql, index) => {
      const data = this.#copyData.get(index)
      return data === undefined
        ? `${sql};`
        : `${sql};\n${data}${data === '' || data.endsWith('\n') ? '' : '\n'}\\.`
    })
  }
}

/** The source of a BEGIN/COMMIT a recipe issues to run part of its work in its own transaction. */
export const MANAGED: StatementSource = Object.freeze({ managed: true })
export const PARTITION_AWARE: StatementSource = Object.freeze({ partitionAware: true })
