import { appendFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { formatDuration } from '../util/duration.js'
import { ensureConfiguredDirectory } from '../util/ensure-directory.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { logTimestamp } from '../util/timestamp.js'

/** One deploy or rollback, as the production log records it. */
export interface ProductionLogEntry {
  readonly at: Date
  readonly action: 'deploy' | 'rollback'
  /** `assistant on 127.0.0.1:5433`: no user, no password. */
  readonly database: string
  readonly operator: string
  readonly from: readonly string[]
  readonly to: readonly string[]
  readonly migrations: number
  readonly phase: string | undefined
  readonly upgradeMs: number | undefined
  readonly totalMs: number
  readonly backup: string | undefined
  /** `deployed`, `rolled back by downgrade`, `restored from backup`, `rollback FAILED`. */
  readonly outcome: string
  readonly report: string | undefined
}

/** `assistant on 127.0.0.1:5433`: how logs and reports name a database (no user, no password). */
export function databaseLabel(spec: ConnectionSpec): string {
  return `${spec.database} on ${spec.host}:${spec.port}`
}

/** `abc123, def456` or `base`. */
export function revisionsText(rows: readonly string[]): string {
  return rows.length === 0 ? 'base' : rows.join(', ')
}

/**
 * The line the guide appends by hand ("Migration completed at ..."), with the facts a
 * person looks for afterwards: who, what moved where, how long, which backup undoes it.
 *
 * @example
 * [2025-11-26 10:00:09] deploy assistant on 127.0.0.1:5433 by ana@ops1: base -> 4c1d2e (6 migrations, phase expand); upgrade 1.2s, total 8.4s; backup assistant_20251126_100001; deployed
 */
export function productionLogLine(entry: ProductionLogEntry): string {
  const parts = [
    `${logTimestamp(entry.at)} ${entry.action} ${entry.database} by ${entry.operator}: ${revisionsText(entry.from)} -> ${revisionsText(entry.to)} (${entry.migrations} migration${entry.migrations === 1 ? '' : 's'}${entry.phase ? `, phase ${entry.phase}` : ''})`,
    `${entry.upgradeMs === undefined ? '' : `upgrade ${formatDuration(entry.upgradeMs)}, `}total ${formatDuration(entry.totalMs)}`,
    `backup ${entry.backup ?? 'none'}`,
    entry.outcome,
  ]
  if (entry.report) parts.push(`report ${entry.report}`)
  return parts.join('; ')
}

/** Appends one line to the production log, creating its directory when needed. */
export function appendProductionLog(file: string, entry: ProductionLogEntry): string {
  ensureConfiguredDirectory(dirname(file), 'deploy.log')
  const line = productionLogLine(entry)
  appendFileSync(file, `${maskSecrets(line)}\n`)
  return line
}
