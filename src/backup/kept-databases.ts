import type pg from 'pg'
import { quoteIdent } from '../db/quote.js'

/**
 * A whole database Strata kept on the server: the live database as it was before a
 * restore swapped another in (`<db>_pre_restore_<time>`, with any writes made after the
 * backup), or a deploy's same-server copy (`<db>_predeploy_<time>`). Each takes as much
 * disk as the database did. Deploy copies are pruned by `deploy.keepServerCopies`; the
 * databases a restore set aside only by `strata backups prune --yes`, once older than
 * the backup retention (they may hold the only copy of writes made after the backup,
 * so never on the restore's own initiative).
 */
export interface KeptDatabase {
  readonly name: string
  readonly kind: 'pre_restore' | 'predeploy'
  /** `YYYY-MM-DD HH:MM:SS`, from the name. */
  readonly keptAt: string
  readonly bytes: number
}

/** The databases kept beside `database`, oldest first. */
export async function listKeptDatabases(client: pg.ClientBase, database: string): Promise<KeptDatabase[]> {
  const { rows } = await client.query<{ name: string; bytes: string }>(
    `SELECT datname AS name, pg_database_size(oid)::text AS bytes FROM pg_database
      WHERE left(datname, length($1) + 1) = $1 || '_'
        AND substr(datname, length($1) + 2) ~ '^(pre_restore|predeploy)_[0-9]{8}_[0-9]{6}(_[0-9]+)?$'
      ORDER BY datname`,
    [database],
  )
  return rows
    .map((row) => {
      const rest = row.name.slice(database.length + 1)
      const kind = rest.startsWith('pre_restore') ? 'pre_restore' : 'predeploy'
      const [, date, time] = /_(\d{8})_(\d{6})/.exec(rest) ?? []
      return {
        name: row.name,
        kind,
        keptAt: `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6)} ${time!.slice(0, 2)}:${time!.slice(2, 4)}:${time!.slice(4)}`,
        bytes: Number(row.bytes),
      } as const
    })
    .sort((a, b) => (a.keptAt < b.keptAt ? -1 : a.keptAt > b.keptAt ? 1 : 0))
}

/** The pre-restore databases older than `retentionDays`: what `backups prune` drops. */
export function expiredPreRestoreDatabases(
  kept: readonly KeptDatabase[],
  retentionDays: number,
  now: Date = new Date(),
): KeptDatabase[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000
  // `YYYY-MM-DDTHH:MM:SS` without an offset is local time to Date, as the names are written.
  return kept.filter(
    (database) =>
      database.kind === 'pre_restore' && new Date(database.keptAt.replace(' ', 'T')).getTime() < cutoff,
  )
}

/**
 * Drops kept databases, each on its own: one still in use (a session connected to it) is
 * left, with PostgreSQL's reason, and the others still go.
 */
export async function dropKeptDatabases(
  client: pg.ClientBase,
  databases: readonly KeptDatabase[],
): Promise<{ dropped: string[]; failed: { name: string; reason: string }[] }> {
  const dropped: string[] = []
  const failed: { name: string; reason: string }[] = []
  for (const database of databases) {
    try {
      await client.query(`DROP DATABASE ${quoteIdent(database.name)}`)
      dropped.push(database.name)
    } catch (error) {
      failed.push({ name: database.name, reason: (error as Error).message })
    }
  }
  return { dropped, failed }
}
