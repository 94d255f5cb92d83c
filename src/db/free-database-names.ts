import type pg from 'pg'

/**
 * Names for databases about to be created beside `database`, one per mark:
 * `<db>_pre_restore_<time>`, `<db>_restore_<time>`. Two runs within one second (a
 * restore run again at once, a test) would pick the same names; the first free set of
 * `<time>`, `<time>_2`, `<time>_3` ... is taken instead, the same suffix for every mark
 * so that a restore's copy and the database it sets aside stay recognisably a pair.
 * The database's own name is shortened where needed, never the time: PostgreSQL keeps
 * 63 bytes of a name and would cut the end silently.
 */
export async function freeDatabaseNames(
  client: pg.ClientBase,
  database: string,
  marks: readonly string[],
  stamp: string,
): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const suffix = attempt === 1 ? '' : `_${attempt}`
    const names = marks.map((mark) => {
      const tail = `${mark}${stamp}${suffix}`
      return `${database.slice(0, 63 - Buffer.byteLength(tail))}${tail}`
    })
    const { rows } = await client.query<{ taken: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ANY($1)) AS taken',
      [names],
    )
    if (!rows[0]!.taken) return names
  }
}
