import type { VersionChange } from '../runner/version-rows.js'
import { type HistoryEntry, historyValuesSql, literalValue, type ValueWriter } from './history-table.js'
import { quoteLiteral } from './quote.js'
import { hasSqlState, NOT_NULL_VIOLATION } from './sqlstate.js'
import { type QualifiedName, qualified, versionChangeSql } from './version-table.js'

/**
 * When the recorded step started, as the server sees it:
 * - `marked`: the time the step's settings statement noted in `STEP_STARTED_SETTING`
 *   as the step began (online, where several steps may travel in one round trip, so
 *   neither the transaction's nor the message's start is the step's);
 * - `transaction`: its transaction's start (offline script, a transaction per migration);
 * - `message`: the arrival of the statement (offline script in one transaction);
 * - a Date: a step that ran outside a transaction, timed by Strata.
 */
export type StepStart = 'marked' | 'transaction' | 'message' | Date

/**
 * The setting in which the runner notes when a step began. Session-wide, so that it
 * outlives the COMMIT of a step that runs part of its work in transactions of its own
 * (`op.autocommit`); where it is missing (a pooler gave another session), the
 * transaction's start stands in.
 */
export const STEP_STARTED_SETTING = 'strata.step_started'

/** The column under which an online record returns the step's duration (ms). */
export const STEP_DURATION_COLUMN = 'strata_step_duration_ms'

/** What the record of a step says. */
export type RecordedStep = Omit<HistoryEntry, 'startedAt' | 'finishedAt'>

/**
 * A step's version-table changes and its history row as one statement, sent in the
 * same round trip as the migration's own SQL and printed as is in offline scripts.
 * Each UPDATE or DELETE must find its row: when one finds none (the version table
 * was changed behind Strata's back) the row's outcome is NULL, which the history
 * table refuses, so the transaction goes no further (see `isEditedVersionTable`).
 */
export function recordStepSql(
  tables: RecordTables,
  changes: readonly VersionChange[],
  entry: RecordedStep,
  start: StepStart,
  /** Return the step's duration (online), under `STEP_DURATION_COLUMN`. */
  returnDuration = false,
): string {
  return recordStatement(tables, changes, entry, start, returnDuration, literalValue)
}

/**
 * The same statement with its values as parameters (`$1`, ...), all of type text: the
 * text is the same for every step whose version changes have the same kinds, so it
 * can be prepared once and executed for each (see `prepared-statements.ts`).
 */
export function recordStepQuery(
  tables: RecordTables,
  changes: readonly VersionChange[],
  entry: RecordedStep,
  start: StepStart,
  returnDuration = false,
): { text: string; values: (string | null)[] } {
  const values: (string | null)[] = []
  const parameter: ValueWriter = (value) => {
    values.push(value)
    return `$${values.length}`
  }
  return { text: recordStatement(tables, changes, entry, start, returnDuration, parameter), values }
}

type RecordTables = { readonly version: QualifiedName; readonly history: QualifiedName }

function recordStatement(
  tables: RecordTables,
  changes: readonly VersionChange[],
  entry: RecordedStep,
  start: StepStart,
  returnDuration: boolean,
  write: ValueWriter,
): string {
  const ctes = changes.map(
    (change, index) => `change_${index} AS (${versionChangeSql(change, tables.version, write)} RETURNING 1)`,
  )
  const checked = changes.flatMap((change, index) =>
    change.kind === 'insert' ? [] : [`(SELECT count(*) FROM change_${index}) = 1`],
  )
  const started =
    start === 'marked'
      ? `coalesce(nullif(current_setting('${STEP_STARTED_SETTING}', true), '')::timestamptz, now())`
      : start === 'transaction'
        ? 'now()'
        : start === 'message'
          ? 'statement_timestamp()'
          : `${quoteLiteral(start.toISOString())}::timestamptz`
  const history = historyValuesSql(
    entry,
    {
      startedAt: started,
      finishedAt: 'clock_timestamp()',
      durationMs: `greatest(0, round(extract(epoch FROM clock_timestamp() - ${started}) * 1000))::int`,
      ...(checked.length === 0
        ? {}
        : { outcome: `CASE WHEN ${checked.join(' AND ')} THEN ${write(entry.outcome)} END` }),
    },
    write,
  )
  const returning = returnDuration ? ` RETURNING duration_ms AS ${STEP_DURATION_COLUMN}` : ''
  const insert = `INSERT INTO ${qualified(tables.history)} (${history.columns}) SELECT ${history.values}${returning}`
  return ctes.length === 0 ? insert : `WITH ${ctes.join(', ')} ${insert}`
}

/** The record statement failed because a version row it changes was missing. */
export function isEditedVersionTable(error: unknown): boolean {
  return hasSqlState(error, NOT_NULL_VIOLATION)
}
