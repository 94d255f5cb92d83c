import type { MigrationOp } from './migration-op.js'
import { OpArgumentError } from './op-arguments.js'

// `op.createTable(...)` without `await` is the commonest slip in a TypeScript migration,
// and a quiet one: the migration's function returns at once, so the runner commits while
// the call is still on its way (a recipe goes on sending statements after the COMMIT),
// and a call that fails fails after the migration was recorded, as an unhandled
// rejection that ends the process with a stack trace. Every op call is therefore
// tracked: once the migration's function returns, a call nobody awaited (or returned,
// or handed to Promise.all) fails the migration before its transaction commits.

/** One op call that returned a promise. */
interface OpCallRecord {
  readonly method: string
  /** Made at the call, so that its stack names the migration's line. */
  readonly callSite: Error
  readonly settled: Promise<unknown>
  awaited: boolean
}

/**
 * The promise an op call returns to the migration. It settles as the call does; asking
 * for its result in any way (`await`, `.then`, `.catch`, `Promise.all`) goes through
 * `then`, which marks the call awaited. Its own state stays pending: a failed call that
 * nobody awaited is reported by `runTrackingCalls`, not by Node as an unhandled rejection.
 */
class OpCallPromise<T> extends Promise<T> {
  // `finally` and the static helpers build their results with this: a plain promise.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise
  }

  readonly #record: OpCallRecord
  readonly #settled: Promise<T>

  constructor(settled: Promise<T>, record: OpCallRecord) {
    super(() => {})
    this.#settled = settled
    this.#record = record
  }

  // biome-ignore lint/suspicious/noThenProperty: this is the promise's own then, marking the call awaited.
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#record.awaited = true
    return this.#settled.then(onFulfilled, onRejected)
  }
}

/**
 * Runs a migration's `upgrade(op)` or `downgrade(op)` with every op call tracked, and
 * fails it (before the runner commits) when a call was not awaited. The calls still
 * running are waited for first, so that nothing the migration started runs on after
 * the runner's COMMIT or ROLLBACK.
 */
export async function runTrackingCalls(
  fn: (op: MigrationOp) => unknown,
  op: MigrationOp,
  side: 'upgrade' | 'downgrade',
): Promise<void> {
  const calls: OpCallRecord[] = []
  const tracked = new Proxy(op, {
    get(target, property) {
      // Read on op itself: its getters and methods see op, never the proxy.
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function' || property === 'constructor') return value
      return (...args: unknown[]) => {
        const callSite = new Error('op call')
        const result = value.apply(target, args)
        if (!(result instanceof Promise)) return result
        // Handled here, whatever the migration does with it: its outcome is read below.
        result.catch(() => {})
        const record: OpCallRecord = { method: String(property), callSite, settled: result, awaited: false }
        calls.push(record)
        return new OpCallPromise(result, record)
      }
    },
  })
  let failure: unknown
  try {
    await fn(tracked)
  } catch (error) {
    failure = error
  }
  // Every call settled before the runner goes on: one chained on without await
  // (`op.execute(...).catch(...)`) counts as handled, but must not run past the COMMIT.
  await Promise.allSettled(calls.map((call) => call.settled))
  const missed = calls.filter((call) => !call.awaited)
  if (failure !== undefined) throw failure
  if (missed.length > 0) throw await notAwaitedError(missed[0]!, side, missed.length)
}

/** What the first call not awaited did, where it is, and how to fix it. */
async function notAwaitedError(call: OpCallRecord, side: string, count: number): Promise<OpArgumentError> {
  const outcome = await call.settled.then(
    () => undefined,
    (error: unknown) => error,
  )
  const more = count > 1 ? ` (and ${count - 1} more op ${count === 2 ? 'call' : 'calls'})` : ''
  const failed =
    outcome === undefined
      ? 'its statements would run after the migration was committed, outside its transaction, and a failure would go unseen'
      : `it failed, which the migration never saw: ${String((outcome as Error)?.message ?? outcome).split('\n')[0]}`
  const error = new OpArgumentError(
    `${side}() does not await op.${call.method}${more}: ${failed}`,
    `write await op.${call.method}(...): every op call returns a promise, and the migration must wait for each before the next`,
  )
  // The stack of the call, so that the error names the migration's line.
  error.stack = `${error.name}: ${error.message}\n${(call.callSite.stack ?? '').split('\n').slice(1).join('\n')}`
  return error
}
