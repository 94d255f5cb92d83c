import type pg from 'pg'
import { describeLockHolder, READ_LOCK_TIMEOUT } from '../db/read-lock-waits.js'
import { LOCK_NOT_AVAILABLE } from '../db/sqlstate.js'
import { StrataError } from '../errors/index.js'

/**
 * `ok` passed; `warn` needs attention but is not a failure; `fail` makes the command
 * exit 1; `skip` could not be checked here (the summary says why).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

/** One ✓/✗ line of `strata health` or `strata verify`. */
export interface CheckResult {
  /** Stable id for scripts, e.g. `tables-accessible`. */
  readonly id: string
  /** What holds when the check passes, as the guide words it: "All tables accessible". */
  readonly title: string
  readonly status: CheckStatus
  /** One line: what was found ("12 tables read", "1 invalid index"). */
  readonly summary: string
  /** One line per problem, each naming the object and the fix. */
  readonly details: readonly string[]
  readonly durationMs: number
}

/** The checks of one run against one database. */
export interface CheckReport {
  /** The database, password masked. */
  readonly database: string
  /** No check failed. */
  readonly ok: boolean
  readonly checks: readonly CheckResult[]
}

/** What a check body returns; `runCheck` adds the id, title and timing. */
export interface CheckOutcome {
  readonly status: CheckStatus
  readonly summary: string
  readonly details?: readonly string[]
}

/**
 * Runs one check and times it. An unexpected error (a query the server refused)
 * fails only this check, with the server's words, so the other checks still report;
 * a read that gave up waiting for a lock is a warning, naming the session that holds
 * it when `client` (the check's own session) can ask.
 */
export async function runCheck(
  id: string,
  title: string,
  body: () => Promise<CheckOutcome>,
  client?: pg.ClientBase,
): Promise<CheckResult> {
  const started = performance.now()
  let outcome: CheckOutcome
  try {
    outcome = await body()
  } catch (error) {
    outcome =
      (error as { code?: string }).code === LOCK_NOT_AVAILABLE
        ? // Not a finding about the database: a lock held elsewhere kept the check from reading.
          { status: 'warn', summary: await lockedOut(client) }
        : {
            status: 'fail',
            summary: `could not be checked: ${(error as Error).message}`,
            // A failure Strata worded (a misconfiguration found on the way) keeps its fix.
            ...(error instanceof StrataError && error.hint !== undefined ? { details: [error.hint] } : {}),
          }
  }
  return {
    id,
    title,
    status: outcome.status,
    summary: outcome.summary,
    details: outcome.details ?? [],
    durationMs: Math.round(performance.now() - started),
  }
}

async function lockedOut(client: pg.ClientBase | undefined): Promise<string> {
  const holder = client === undefined ? undefined : await describeLockHolder(client).catch(() => undefined) // a second failure must not hide the first
  return holder === undefined
    ? `could not be checked: a table it reads is locked by another session beyond ${READ_LOCK_TIMEOUT} (strata diagnose blocking shows which); run it again once that is done`
    : `could not be checked: ${holder}; run it again once that is done`
}

export function reportOf(database: string, checks: readonly CheckResult[]): CheckReport {
  return { database, ok: checks.every((check) => check.status !== 'fail'), checks }
}
