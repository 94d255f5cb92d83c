import pg from 'pg'
import { splitStatements } from '../graph/split-statements.js'
import { appendAll } from '../util/append-all.js'
import { refuseAfterCancel } from './cancellable-sessions.js'

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
  /** Whose statement it is (the runner's step), when several migrations share a batch. */
  readonly owner?: object | undefined
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

/**
 * Sends a batch through a watcher (which says who blocks a statement waiting for a lock,
 * and how a long one gets on); `owners` are those of the units in this round trip.
 */
export type BatchWatcher = <T>(work: Promise<T>, owners: readonly object[]) => Promise<T>

/** A row of a statement whose first column carries the batch's collecting name, as text. */
export type CollectedRow = readonly (string | null)[]

// PostgreSQL answers each statement of a simple-query message with one CommandComplete;
// counting them tells how far a failed message got. (node-pg keeps no count of its own.)
// Rows of the statements the batch collects are kept as they arrive, in statement order.
interface QueryHandlers {
  handleCommandComplete(message: unknown, connection: unknown): void
  handleRowDescription(message: { fields: { name: string }[] }): void
  handleDataRow(message: { fields: (string | null)[] }): void
}
const queryHandlers = pg.Query.prototype as unknown as QueryHandlers
class CountingQuery extends pg.Query {
  completed = 0
  readonly collected: CollectedRow[] = []
  #collecting = false

  constructor(
    text: string,
    private readonly collectColumn: string | undefined,
    callback: (error: Error | undefined) => void,
  ) {
    super(text, undefined, callback)
  }

  handleCommandComplete(message: unknown, connection: unknown): void {
    this.completed++
    this.#collecting = false
    queryHandlers.handleCommandComplete.call(this, message, connection)
  }

  handleRowDescription(message: { fields: { name: string }[] }): void {
    this.#collecting = this.collectColumn !== undefined && message.fields[0]?.name === this.collectColumn
    queryHandlers.handleRowDescription.call(this, message)
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.#collecting) this.collected.push(message.fields)
    queryHandlers.handleDataRow.call(this, message)
  }
}

/** What the server did with the batches sent since it was last asked. */
export interface BatchOutcome<Source = unknown> {
  /** The units that completed, in order. */
  readonly completed: readonly BatchUnit<Source>[]
  /** The rows collected from them, in order. */
  readonly collected: readonly CollectedRow[]
}

/**
 * Statements that travel together in one simple-query message: a transactional
 * migration's statements, its version-table record and its BEGIN/COMMIT go in one
 * round trip instead of one each (and several such migrations may share it).
 * PostgreSQL stops a message at its first error, so nothing after a failed statement
 * runs; the error names the statement that failed.
 *
 * Only statements whose results nobody reads may wait in a batch; anything that needs
 * an answer flushes the batch first. The one exception: rows of a statement whose
 * first column is named `collectColumn` are collected (see `takeOutcome`).
 */
export class StatementBatch<Source = unknown> {
  #units: BatchUnit<Source>[] = []
  #bytes = 0
  #completed: BatchUnit<Source>[] = []
  #collected: CollectedRow[] = []
  #inFlight: Promise<BatchError<Source> | undefined> | undefined
  /** Units added from now on belong to this owner (unless they name their own). */
  owner: object | undefined
  /**
   * Called when a round trip has completed without error, whoever sent it: a migration
   * that needs an answer (a backfill) flushes the migrations before it, which are then
   * done and can be said to be, before its own long work starts.
   */
  onAnswered: (() => void) | undefined

  constructor(
    private readonly client: pg.ClientBase,
    private readonly watch?: BatchWatcher,
    private readonly collectColumn?: string,
  ) {}

  add(unit: BatchUnit<Source>): void {
    this.#units.push(
      unit.owner === undefined && this.owner !== undefined ? { ...unit, owner: this.owner } : unit,
    )
    this.#bytes += unit.sql.length
  }

  /** The length of the SQL waiting to be sent. */
  get pendingBytes(): number {
    return this.#bytes
  }

  /** Forgets what has not been sent (the transaction it belonged to is over). */
  clear(): void {
    this.#units = []
    this.#bytes = 0
  }

  /** Forgets the waiting units of one owner (whose migration failed before they were sent). */
  discard(owner: object): void {
    this.#units = this.#units.filter((unit) => unit.owner !== owner)
    this.#bytes = this.#units.reduce((total, unit) => total + unit.sql.length, 0)
  }

  /**
   * What completed since the last call (whoever sent it: a migration needing an
   * answer flushes the batch too), with the collected rows.
   */
  takeOutcome(): BatchOutcome<Source> {
    const outcome = { completed: this.#completed, collected: this.#collected }
    this.#completed = []
    this.#collected = []
    return outcome
  }

  /**
   * Sends what is pending as one message without waiting for its answer, so that the
   * caller can prepare the next one meanwhile. It first waits for the message sent
   * before, and throws its failure instead of sending anything after it.
   */
  async send(): Promise<void> {
    await this.#answered()
    if (this.#units.length === 0) return
    // Interrupted (Ctrl-C) while these waited: they are never sent, their COMMIT least of all.
    refuseAfterCancel(this.client)
    const units = this.#units
    this.clear()
    this.#inFlight = this.#transmit(units)
  }

  /** Sends what is pending and waits for the answer; throws a `BatchError` naming the failed unit. */
  async flush(): Promise<void> {
    await this.send()
    await this.#answered()
  }

  /** Waits for the message in flight, if any; throws its failure. */
  async #answered(): Promise<void> {
    const inFlight = this.#inFlight
    if (inFlight === undefined) return
    this.#inFlight = undefined
    const failure = await inFlight
    if (failure !== undefined) throw failure
  }

  /** One round trip; resolves with its failure (a rejection nobody awaited yet would be unhandled). */
  async #transmit(units: readonly BatchUnit<Source>[]): Promise<BatchError<Source> | undefined> {
    const starts: number[] = []
    let text = ''
    for (const unit of units) {
      starts.push(text.length)
      // A newline before the semicolon ends a trailing `-- comment` of the statement.
      text += `${unit.sql}\n;\n`
    }
    let query: CountingQuery | undefined
    const sent = new Promise<void>((resolve, reject) => {
      query = new CountingQuery(text, this.collectColumn, (error: Error | undefined) =>
        error ? reject(error) : resolve(),
      )
      this.client.query(query)
    })
    try {
      await (this.watch ? this.watch(sent, ownersOf(units)) : sent)
    } catch (error) {
      const failure = locateFailure(error, units, starts, query?.completed ?? 0)
      appendAll(this.#completed, failure.completed)
      appendAll(this.#collected, query?.collected ?? [])
      return failure
    }
    appendAll(this.#completed, units)
    appendAll(this.#collected, query?.collected ?? [])
    this.onAnswered?.()
    return undefined
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

/** The distinct owners of units, in order. */
function ownersOf(units: readonly { readonly owner?: object | undefined }[]): object[] {
  return [...new Set(units.flatMap((unit) => (unit.owner === undefined ? [] : [unit.owner])))]
}
