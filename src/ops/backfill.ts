import { quoteIdent, quoteLiteral } from '../db/quote.js'
import { MAX_REPLICA_LAG_SQL } from '../db/replica-lag.js'
import { hasSqlState, LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { OperationFailedError } from '../errors/index.js'
import { jitteredBackoff } from '../util/backoff.js'
import { describeValue } from '../util/describe-value.js'
import { parseDuration } from '../util/duration.js'
import { checkpointTableSql, renderBackfillBatch, renderSetList } from './backfill-sql.js'
import {
  checkOptionKeys,
  OpArgumentError,
  optionKeys,
  requireRelation,
  requireWholeNumber,
} from './op-arguments.js'
import { refreshStatistics } from './refresh-statistics.js'
import { type ReplicaThrottle, waitForReplicas } from './replica-throttle.js'
import { MANAGED, type SqlExecutor } from './sql-executor.js'
import {
  baseName,
  expressionText,
  type RawSql,
  type RelationName,
  relation,
  sql,
  sqlValue,
} from './sql-fragments.js'

/**
 * A batched data migration: `UPDATE table SET set WHERE where`, done in small
 * transactions so that no lock is held for long and memory stays flat.
 *
 * @example
 * await op.backfill({
 *   table: 'users',
 *   set: { new_column: op.sql('old_column') },
 *   where: 'new_column IS NULL AND old_column IS NOT NULL',
 *   batchSize: 1000,
 * })
 */
export interface BackfillOptions {
  readonly table: RelationName
  /** Values (literals) or `op.sql('expression')` per column. */
  readonly set: Readonly<Record<string, unknown>>
  /** The rows that still need the change; when the backfill ends, none may match. */
  readonly where: RawSql | string
  /** Rows per batch (default 1000). */
  readonly batchSize?: number
  /** Pause between batches, in milliseconds (default 0), to leave room for the application. */
  readonly pauseMs?: number
  /** Columns to page by; default the primary key. They must be unique and NOT NULL. */
  readonly key?: readonly string[]
  /** Checkpoint name, unique within the migration (default: table and columns). */
  readonly name?: string
  /** `lock_timeout` of each batch (default: the migration's). */
  readonly lockTimeout?: number | string
  /** Passes over the table for rows that writers changed meanwhile (default 3). */
  readonly maxPasses?: number
  /**
   * Before each batch, wait while a replica is more than this many megabytes of WAL
   * behind (default: `backfill.maxReplicaLagMb` of the config, else no waiting).
   */
  readonly maxReplicaLagMb?: number
  /** Longest wait for replicas before the backfill stops, resumable (default: `backfill.replicaLagTimeout`, 10min). */
  readonly replicaLagTimeout?: number | string
}

const BACKFILL_KEYS = optionKeys<BackfillOptions>({
  table: true,
  set: true,
  where: true,
  batchSize: true,
  pauseMs: true,
  key: true,
  name: true,
  lockTimeout: true,
  maxPasses: true,
  maxReplicaLagMb: true,
  replicaLagTimeout: true,
})

/**
 * The three options a backfill cannot do without, and no others than it knows. Checked
 * before `op.backfill` commits the statements before it, too: a call with bad arguments
 * leaves the database as it was.
 */
export function checkBackfillOptions(options: BackfillOptions): void {
  checkOptionKeys('backfill', options, BACKFILL_KEYS)
  requireRelation('backfill', 'table', options.table)
  const call = `backfill('${baseName(options.table)}')`
  if (typeof options.set !== 'object' || options.set === null || Object.keys(options.set).length === 0) {
    throw new OpArgumentError(
      `${call}: set must name the columns to write, found ${describeValue(options.set)}`,
      "e.g. set: { new_column: op.sql('old_column') }",
    )
  }
  if (options.where === undefined) {
    const unset = Object.keys(options.set)
      .map((column) => `${column} IS NULL`)
      .join(' OR ')
    throw new OpArgumentError(
      `${call}: where is missing: the condition that picks the rows still to write. Batches take rows that match it until none is left, which is also how the backfill proves it is done (and resumes after an interruption)`,
      `e.g. where: '${unset}' (for a new column), or a condition that stops matching a row once it is written`,
    )
  }
  expressionText(call, 'where', options.where)
  requireWholeNumber(call, 'batchSize', options.batchSize, 1, 1000)
  requireWholeNumber(call, 'pauseMs', options.pauseMs, 0, 100)
  requireWholeNumber(call, 'maxPasses', options.maxPasses, 1, 3)
  const lag = options.maxReplicaLagMb
  if (lag !== undefined && (typeof lag !== 'number' || !Number.isFinite(lag) || lag <= 0))
    throw new OpArgumentError(
      `${call}: maxReplicaLagMb must be a number of megabytes above 0, found ${describeValue(lag)}`,
      'e.g. maxReplicaLagMb: 256',
    )
  if (options.replicaLagTimeout !== undefined && parseDuration(options.replicaLagTimeout) === undefined)
    throw new OpArgumentError(
      `${call}: replicaLagTimeout must be a duration, found ${describeValue(options.replicaLagTimeout)}`,
      "e.g. replicaLagTimeout: '10min'",
    )
}

export interface BackfillResult {
  readonly rows: number
  readonly batches: number
  readonly passes: number
  readonly resumed: boolean
}

/** Progress of a backfill, for a progress bar. */
export interface BackfillProgress {
  readonly name: string
  readonly done: number
  readonly total: number
  readonly elapsedMs: number
  /** Set while the backfill waits for replicas to catch up: what it waits for. */
  readonly waiting?: string
}

/** What the backfill needs from the run around it. */
export interface BackfillRuntime {
  readonly revision: string
  readonly stateSchema: string
  readonly lockTimeoutMs: number
  readonly lockRetries: number
  /** The config's `backfill.maxReplicaLagMb`: the default of the call's option. */
  readonly maxReplicaLagMb?: number | undefined
  /** The config's `backfill.replicaLagTimeout`, in milliseconds. */
  readonly replicaLagTimeoutMs?: number | undefined
  readonly onProgress?: ((progress: BackfillProgress) => void) | undefined
}

/** The replica throttle a call asks for, its options over the config's; undefined when off. */
function replicaThrottle(options: BackfillOptions, runtime: BackfillRuntime): ReplicaThrottle | undefined {
  const maxLagMb = options.maxReplicaLagMb ?? runtime.maxReplicaLagMb
  if (maxLagMb === undefined) return undefined
  const timeoutMs =
    options.replicaLagTimeout === undefined
      ? (runtime.replicaLagTimeoutMs ?? 600_000)
      : parseDuration(options.replicaLagTimeout)!
  return { maxLagMb, timeoutMs }
}

export async function runBackfill(
  executor: SqlExecutor,
  runtime: BackfillRuntime,
  options: BackfillOptions,
): Promise<BackfillResult> {
  checkBackfillOptions(options)
  const where = typeof options.where === 'string' ? sql(options.where) : options.where
  const batchSize = options.batchSize ?? 1000
  const name = options.name ?? `${baseName(options.table)}.${Object.keys(options.set).join(',')}`
  const setSql = renderSetList(options.set, sqlValue)
  const analyse = (sqlText: string) => executor.run(sqlText, [], MANAGED)
  const columns = Object.keys(options.set)
  const throttle = replicaThrottle(options, runtime)
  if (executor.offline) {
    await executor.run(
      renderOfflineBackfill({ ...options, where, batchSize, key: options.key ?? ['id'] }, setSql, throttle),
    )
    await refreshStatistics(analyse, true, options.table, columns, runtime.lockTimeoutMs)
    return { rows: 0, batches: 0, passes: 1, resumed: false }
  }
  const key = options.key ?? (await primaryKey(executor, options.table))
  const shape = { table: options.table, key, set: options.set, where, batchSize }
  const lockTimeout =
    options.lockTimeout === undefined ? runtime.lockTimeoutMs : parseDuration(options.lockTimeout)
  if (lockTimeout === undefined)
    throw new OperationFailedError(`backfill ${name}: lockTimeout "${options.lockTimeout}" is not a duration`)
  const checkpointTable = `${quoteIdent(runtime.stateSchema)}.strata_backfill`
  const id = `${runtime.revision}:${name}`
  // Its bookkeeping (checkpoint table, counts, batch transactions) is Strata's own: a
  // failure report lists the batches' statements, not these.
  await executor.run(checkpointTableSql(runtime.stateSchema), [], MANAGED)
  const saved = (
    await executor.run(
      `SELECT last_key, rows_done, finished_at FROM ${checkpointTable} WHERE id = $1`,
      [id],
      MANAGED,
    )
  )?.rows[0]
  const resumed = saved !== undefined && saved.finished_at === null && saved.last_key !== null
  let lastKey: unknown[] | null = resumed ? (saved.last_key as unknown[]) : null
  let done = resumed ? Number(saved.rows_done) : 0
  if (!resumed) {
    await executor.run(
      `INSERT INTO ${checkpointTable} (id, table_name, last_key, rows_done) VALUES ($1, $2, NULL, 0)
       ON CONFLICT (id) DO UPDATE SET last_key = NULL, rows_done = 0, started_at = now(), updated_at = now(), finished_at = NULL`,
      [id, relation(options.table)],
      MANAGED,
    )
  }
  const remainingSql = `SELECT count(*)::bigint AS n FROM ${relation(options.table)} WHERE ${where.text}`
  const started = Date.now()
  let total = done + Number((await executor.run(remainingSql, [], MANAGED))!.rows[0]!.n)
  let batches = 0
  let passes = 1
  const maxPasses = options.maxPasses ?? 3
  for (;;) {
    if (throttle !== undefined)
      await waitForReplicas(executor, throttle, name, (waiting) =>
        runtime.onProgress?.({
          name,
          done,
          total: Math.max(total, done),
          elapsedMs: Date.now() - started,
          waiting,
        }),
      )
    const statement = renderBackfillBatch(shape, lastKey !== null, setSql)
    const batch = await runBatch(executor, statement, lastKey ?? [], lockTimeout, runtime.lockRetries, name)
    batches++
    done += batch.changed
    if (batch.lastKey !== null) lastKey = batch.lastKey
    await executor.run(
      `UPDATE ${checkpointTable} SET last_key = $2, rows_done = $3, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(lastKey), done],
      MANAGED,
    )
    runtime.onProgress?.({ name, done, total: Math.max(total, done), elapsedMs: Date.now() - started })
    if (batch.scanned < batchSize) {
      const remaining = Number((await executor.run(remainingSql, [], MANAGED))!.rows[0]!.n)
      if (remaining === 0) break
      if (passes >= maxPasses) {
        throw new OperationFailedError(
          `Data migration incomplete: ${remaining} rows remaining in ${baseName(options.table)} (${where.text}) after ${passes} passes`,
          {
            hint: 'writers keep producing rows that match the condition: deploy the code that writes the new column first, then run the migration again (it resumes)',
          },
        )
      }
      passes++
      lastKey = null
      total = done + remaining
    }
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
  }
  await executor.run(
    `UPDATE ${checkpointTable} SET finished_at = now(), updated_at = now() WHERE id = $1`,
    [id],
    MANAGED,
  )
  if (done > 0) await refreshStatistics(analyse, false, options.table, columns, lockTimeout)
  return { rows: done, batches, passes, resumed }
}

/** One batch in its own transaction, retried when its lock cannot be had in time. */
async function runBatch(
  executor: SqlExecutor,
  statement: string,
  lastKey: readonly unknown[],
  lockTimeout: number,
  retries: number,
  name: string,
): Promise<{ changed: number; scanned: number; lastKey: unknown[] | null }> {
  for (let attempt = 0; ; attempt++) {
    await executor.run(`BEGIN; SET LOCAL lock_timeout = ${Math.trunc(lockTimeout)}`, [], MANAGED)
    try {
      const row = (await executor.run(statement, lastKey))!.rows[0]!
      await executor.run('COMMIT', [], MANAGED)
      return { changed: Number(row.changed), scanned: Number(row.scanned), lastKey: row.last_key }
    } catch (error) {
      await executor.run('ROLLBACK', [], MANAGED).catch(() => undefined)
      if (!hasSqlState(error, LOCK_NOT_AVAILABLE) || attempt >= retries) {
        if (hasSqlState(error, LOCK_NOT_AVAILABLE)) {
          throw new OperationFailedError(
            `backfill ${name}: a batch could not get its row locks after ${attempt + 1} attempts`,
            {
              hint: 'a long transaction holds rows of this table; `strata diagnose blocking` shows it. Run the migration again to resume',
            },
          )
        }
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, jitteredBackoff(attempt + 1, 100, 5000)))
    }
  }
}

/** The primary key columns of a table, in key order; an error naming the fix when there is none. */
export async function primaryKey(executor: SqlExecutor, table: RelationName): Promise<string[]> {
  const result = await executor.run(
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [relation(table)],
    MANAGED,
  )
  const columns = (result?.rows ?? []).map((row) => row.attname as string)
  if (columns.length === 0) {
    throw new OperationFailedError(
      `backfill on ${baseName(table)} needs a key to page by, and the table has no primary key`,
      {
        hint: "add a primary key, or pass `key: ['column', ...]` naming columns that are unique and NOT NULL (backfills page by key, never by OFFSET)",
      },
    )
  }
  return columns
}

/**
 * The offline form: a DO block that pages by key and commits each batch (allowed at
 * top level since PostgreSQL 11). The key is the `key` option, or `id`.
 */
export function renderOfflineBackfill(
  options: BackfillOptions & { where: RawSql; batchSize: number; key: readonly string[] },
  setSql: string,
  throttle?: ReplicaThrottle,
): string {
  const table = relation(options.table)
  const variables = options.key.map((column, index) => `last_k${index} ${table}.${quoteIdent(column)}%TYPE;`)
  const batch = renderBackfillBatch(
    {
      table: options.table,
      key: options.key,
      set: options.set,
      where: options.where,
      batchSize: options.batchSize,
    },
    true,
    setSql,
  )
    .replace(/\$(\d+)/g, (_match, index: string) => `last_k${Number(index) - 1}`)
    .replace(
      /WHERE \((.*?)\) > \((.*?)\) AND/,
      (_match, keys: string, values: string) => `WHERE (last_k0 IS NULL OR (${keys}) > (${values})) AND`,
    )
  const aliases = options.key.map((_, index) => `b.${quoteIdent(`__k${index}`)}`)
  const select = batch.replace(
    / SELECT \(SELECT count\(\*\) FROM changed\).*$/s,
    ` SELECT (SELECT count(*) FROM batch), ${aliases.join(', ')} INTO scanned, ${options.key.map((_, index) => `last_k${index}`).join(', ')} FROM batch b ORDER BY ${aliases.map((alias) => `${alias} DESC`).join(', ')} LIMIT 1`,
  )
  // The same wait as online: no batch while a replica is too far behind, at most the timeout.
  const wait =
    throttle === undefined
      ? []
      : [
          '    waited := 0;',
          `    WHILE coalesce((${MAX_REPLICA_LAG_SQL}), 0) > ${Math.round(throttle.maxLagMb * 1024 * 1024)} LOOP`,
          `      IF waited >= ${Math.ceil(throttle.timeoutMs / 1000)} THEN RAISE EXCEPTION 'backfill of %: a replica (or a replication slot nobody reads) is still more than ${throttle.maxLagMb} MB behind after % s; run again to go on', ${quoteLiteral(baseName(options.table))}, waited; END IF;`,
          '      PERFORM pg_sleep(1); waited := waited + 1;',
          '    END LOOP;',
        ]
  return [
    `-- backfill ${quoteLiteral(baseName(options.table))} in batches of ${options.batchSize}, paging by ${options.key.join(', ')}${throttle === undefined ? '' : `, waiting while a replica is more than ${throttle.maxLagMb} MB behind`}`,
    'DO $strata_backfill$',
    'DECLARE',
    `  scanned bigint; ${throttle === undefined ? '' : 'waited int; '}${variables.join(' ')}`,
    'BEGIN',
    // As online: a role that cannot see the replicas' positions is refused, not left unthrottled.
    ...(throttle === undefined
      ? []
      : [
          "  IF EXISTS (SELECT 1 FROM pg_stat_replication WHERE state IS NULL) THEN RAISE EXCEPTION 'backfill: this role cannot see how far the replicas are behind (GRANT pg_monitor, or drop maxReplicaLagMb)'; END IF;",
        ]),
    '  LOOP',
    ...wait,
    `    ${select};`,
    '    COMMIT;',
    `    EXIT WHEN scanned IS NULL OR scanned < ${options.batchSize};`,
    '  END LOOP;',
    'END',
    '$strata_backfill$',
  ].join('\n')
}
