import type { HistoryRow } from '../db/history-table.js'
import { maskSecrets } from '../util/mask-secrets.js'
import type { CommandContext } from './context.js'
import { positiveInteger } from './option-values.js'
import { mark, table } from './output.js'

/**
 * `strata history --log`: what was run against the database, newest first, from
 * strata_history: every upgrade, downgrade and stamp step, failed ones too, with who ran
 * it, from where, how long it took and the backup that undoes it. The audit question
 * "when did this reach production, and who ran it?" without psql.
 */
export async function printHistoryLog(context: CommandContext, limitText: string | undefined): Promise<void> {
  const limit = positiveInteger(limitText, '--limit', 50) ?? 20
  const { withConnection } = await import('../db/connect.js')
  const { readHistory } = await import('../db/history-table.js')
  const { runnerTables } = await import('../runner/tables.js')
  const tables = runnerTables(await context.config())
  const spec = await context.connectionSpec()
  const rows = await withConnection(spec, (connection) => readHistory(connection.client, tables.history))
  const shown = rows.slice(-limit).reverse()
  if (shown.length === 0) {
    context.output.line(
      `no steps recorded in ${tables.history.schema}.${tables.history.name} on ${spec.database}`,
    )
  } else {
    context.output.line(
      table([
        ['finished (UTC)', 'step', 'revision', 'outcome', 'took', 'by', 'backup'],
        ...shown.map((row) => [
          utcTime(row.finishedAt),
          row.direction,
          row.revision,
          row.outcome === 'success' ? row.outcome : `${mark.fail()} ${row.outcome}`,
          `${row.durationMs} ms`,
          appliedBy(row),
          row.backupId ?? '',
        ]),
      ]),
    )
    for (const row of shown.filter((item) => item.error !== undefined))
      context.output.line(`${row.revision} ${row.direction} failed: ${maskSecrets(firstLine(row.error!))}`)
    if (rows.length > shown.length)
      context.output.line(
        `(${rows.length - shown.length} older steps: --limit ${rows.length} shows them all)`,
      )
  }
  context.output.data({ database: spec.database, total: rows.length, steps: shown.map(jsonStep) })
}

/** `2026-11-25 10:00:01`: a history time as the tables and lines show it (UTC). */
export function utcTime(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 19)
}

/** `ana@ops1 (postgres@10.0.0.5)`: the operator, and the database user and host of a step. */
export function appliedBy(row: HistoryRow): string {
  return `${row.operator ?? '?'} (${row.dbUser}@${row.clientHost ?? 'local'})`
}

function jsonStep(row: HistoryRow) {
  return { ...row, error: row.error === undefined ? undefined : maskSecrets(row.error) }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!
}
