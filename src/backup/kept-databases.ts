import type pg from 'pg'

/**
 * A whole database Strata kept on the server: the live database as it was before a
 * restore swapped another in (`<db>_pre_restore_<time>`, with any writes made after the
 * backup), or a deploy's same-server copy (`<db>_predeploy_<time>`). Each takes as much
 * disk as the database did. Deploy copies are pruned by `deploy.keepServerCopies`; the
 * databases a restore set aside are never dropped by Strata (they may hold the only copy
 * of recent writes): they are listed, with the statement that drops them.
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
