import type { Connection } from '../db/connect.js'
import type { CheckOutcome } from './check-result.js'

/** `pg_stat_archiver` and `archive_mode`, as the health check reads them. */
export interface ArchiverFacts {
  readonly mode: string
  readonly archivedCount: number
  readonly lastArchivedWal: string | null
  readonly lastArchivedTime: string | null
  readonly failedCount: number
  readonly lastFailedWal: string | null
  readonly lastFailedTime: string | null
}

/**
 * WAL archiving, when it is on (`strata pitr setup` turns it on): an archive_command
 * that fails leaves point-in-time recovery stuck at the last archived segment, and keeps
 * WAL piling up in pg_wal until the disk fills, without a word anywhere but the server log.
 */
export async function checkWalArchiving(connection: Connection): Promise<CheckOutcome> {
  const { rows } = await connection.client.query<ArchiverFacts>(
    `SELECT current_setting('archive_mode') AS mode, archived_count::float8 AS "archivedCount",
            last_archived_wal AS "lastArchivedWal", last_archived_time::text AS "lastArchivedTime",
            failed_count::float8 AS "failedCount", last_failed_wal AS "lastFailedWal",
            last_failed_time::text AS "lastFailedTime"
       FROM pg_stat_archiver`,
  )
  return classifyArchiving(rows[0]!)
}

/** Failing when the last failure is newer than the last success. */
export function classifyArchiving(facts: ArchiverFacts): CheckOutcome {
  if (facts.mode === 'off') return { status: 'ok', summary: 'archive_mode off (no point-in-time recovery)' }
  const failing =
    facts.lastFailedTime !== null &&
    (facts.lastArchivedTime === null || facts.lastFailedTime > facts.lastArchivedTime)
  if (failing) {
    return {
      status: 'warn',
      summary: `archive_command failing since ${facts.lastFailedTime} (${facts.failedCount.toLocaleString('en-US')} failures, last on ${facts.lastFailedWal})`,
      details: [
        `point-in-time recovery cannot reach past ${facts.lastArchivedTime === null ? 'any moment: nothing was ever archived' : facts.lastArchivedTime}, and WAL piles up in pg_wal until the command succeeds`,
        'the server log says why archive_command failed (a full or missing archive directory, permissions); `strata pitr setup` writes it again',
      ],
    }
  }
  return {
    status: 'ok',
    summary:
      facts.lastArchivedWal === null
        ? 'archiving on; no WAL segment archived yet'
        : `archiving: ${facts.archivedCount.toLocaleString('en-US')} segments, the last ${facts.lastArchivedWal} at ${facts.lastArchivedTime}`,
  }
}
