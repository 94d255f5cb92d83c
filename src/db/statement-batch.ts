import pg from 'pg'
import { splitStatements } from '../graph/split-statements.js'

/**
 * What a piece of a batch is: the migration's own SQL, or one of the statements the
 * runner puts around it (BEGIN and settings, the version-table record, COMMIT).
 */
export type BatchRole = 'control' | 'statement' | 'record' | 'commit'

export interface BatchUnit<Source = unknown> {
  readonly sql: string
  readonly role: BatchRole
  /** Where the statement came from (an SQL file's line), for the error message. */
  readonly source?: Source
}

/**
 * A statement of a batch failed. Carries PostgreSQL's facts (code, message, detail,
 * hint) with `position` made relative to the failing statement, as if it had been
 * sent alone, and which unit failed.
 */
export class BatchError<Source = unknown> extends Error {
  readonly code: string | undefined
  readonly detail: string | undefined
  readonly hint: string | undefined
  readonly position: string | undefined

  constructor(
    readonly unit: BatchUnit<Source>,
    /** The units that completed before it. */
    readonly completed: readonly BatchUnit<Source>[],
    cause: unknown,
    position: number | undefined,
  ) {
    const facts = cause as { message?: string; code?: string; detail?: string; hint?: string }
    super(facts?.message ?? String(cause), { cause })
    this.name = 'BatchError'
    this.code = facts?.code
    this.detail = facts?.detail
    this.hint = facts?.hint
    this.position = position === undefined ? undefined : String(position)
  }
}

/** Sends a batch through a watcher (which says who blocks a statement waiting for a lock). */
export type BatchWatcher = <T>(work: Promise<T>) => Promise<T>

// PostgreSQL answers each statement of a simple-query message with one CommandComplete;
// counting them tells how far a failed message got. (node-pg keeps no count of its own.)
interface CommandCounter {
  handleCommandComplete(message: unknown, connection: unknown): void
}
class CountingQuery extends pg.Query {
  completed = 0

  handleCommandComplete(message: unknown, connection: unknown): void {
    this.completed++
    ;(pg.Query.prototype as unknown as CommandCounter).handleCommandComplete.call(this, message, connection)
  }
}

/**
 * Statements that travel together in one simple-query message: a transactional
 * migration's statements, its version-table record and its BEGIN/COMMIT go in one
 * round trip instead of one each. PostgreSQL stops a message at its first error, so
 * nothing after a failed statement runs; the error names the statement that failed.
 *
 * Only statements whose results nobody reads may wait in a batch; anything that needs
 * an answer flushes the batch first.
 */
export class StatementBatch<Source = unknown> {
  #units: BatchUnit<Source>[] = []

  constructor(
    private readonly client: pg.ClientBase,
    private readonly watch?: BatchWatcher,
  ) {}

  add(unit: BatchUnit<Source>): void {
    this.#units.push(unit)
  }

  /** Forgets what has not been sent (the transaction it belonged to is over). */
  clear(): void {
    this.#units = []
  }

  /** Sends what is pending as one message; throws a `BatchError` naming the failed unit. */
  async flush(): Promise<void> {
    if (this.#units.length === 0) return
    const units = this.#units
    this.#units = []
    const starts: number[] = []
    let text = ''
    for (const unit of units) {
      starts.push(text.length)
      // A newline before the semicolon ends a trailing `-- comment` of the statement.
      text += `${unit.sql}\n;\n`
    }
    let query: CountingQuery | undefined
    const sent = new Promise<void>((resolve, reject) => {
      query = new CountingQuery(text, undefined, (error: Error | undefined) =>
        error ? reject(error) : resolve(),
      )
      this.client.query(query)
    })
    try {
      await (this.watch ? this.watch(sent) : sent)
    } catch (error) {
      throw locateFailure(error, units, starts, query?.completed ?? 0)
    }
  }
}

/**
 * Which unit failed: by the error's position when PostgreSQL gives one (a syntax error
 * stops the message before anything runs, so counting would point at the start),
 * otherwise by the number of statements that completed.
 */
function locateFailure<Source>(
  error: unknown,
  units: readonly BatchUnit<Source>[],
  starts: readonly number[],
  completedStatements: number,
): BatchError<Source> {
  const position = Number((error as { position?: string })?.position)
  if (position > 0) {
    let index = 0
    while (index + 1 < units.length && starts[index + 1]! < position) index++
    return new BatchError(units[index]!, units.slice(0, index), error, position - starts[index]!)
  }
  let remaining = completedStatements
  for (const [index, unit] of units.entries()) {
    const statements = splitStatements(unit.sql).length
    if (remaining < statements) return new BatchError(unit, units.slice(0, index), error, undefined)
    remaining -= statements
  }
  // Every statement completed and the message still failed (the connection broke).
  return new BatchError(units.at(-1)!, units.slice(0, -1), error, undefined)
}
