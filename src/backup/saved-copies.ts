import type pg from 'pg'
import { quoteIdent } from '../db/quote.js'
import { SAVED_SCHEMA } from './saved-data.js'

/** A copy an upgrade or downgrade kept in `strata_saved` of a table it destroyed. */
export interface SavedCopy {
  /** `strata_saved.users_20261130_111930`. */
  readonly name: string
  /** The table it copies, as the migration named it. */
  readonly of: string | undefined
  /** When it was copied (from its comment; undefined when the comment is gone). */
  readonly savedAt: string | undefined
  /** Why: "destroyed by a downgrade (column users.email (b2))". */
  readonly why: string | undefined
  readonly bytes: number
}

/** The copies in `strata_saved`, oldest first; none when the schema does not exist. */
export async function listSavedCopies(client: pg.ClientBase): Promise<SavedCopy[]> {
  const { rows } = await client.query<{ name: string; comment: string | null; bytes: string }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
            pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r'
      ORDER BY c.relname`,
    [SAVED_SCHEMA],
  )
  return rows
    .map((row) => {
      // saveTablesOnServer's comment: "users at 2026-11-30T11:19:30.000Z: destroyed by ..."
      const comment = /^(.+?) at (\d{4}-\d\d-\d\dT[\d:.]+Z): (.*)$/s.exec(row.comment ?? '')
      return {
        name: `${SAVED_SCHEMA}.${row.name}`,
        of: comment?.[1],
        savedAt: comment?.[2],
        why: comment?.[3],
        bytes: Number(row.bytes),
      }
    })
    .sort((a, b) => (a.savedAt ?? '').localeCompare(b.savedAt ?? ''))
}

/**
 * The copies retention would drop: saved more than `retentionDays` ago. A copy whose
 * comment (and so its time) is gone is never chosen: nothing says it is old.
 */
export function expiredCopies(
  copies: readonly SavedCopy[],
  retentionDays: number,
  now = new Date(),
): SavedCopy[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000
  return copies.filter((copy) => copy.savedAt !== undefined && Date.parse(copy.savedAt) < cutoff)
}

/** Drops copies in one transaction (all or none); the schema goes with the last one. */
export async function dropSavedCopies(client: pg.ClientBase, copies: readonly SavedCopy[]): Promise<void> {
  if (copies.length === 0) return
  await client.query('BEGIN')
  try {
    for (const copy of copies) {
      const table = copy.name.slice(SAVED_SCHEMA.length + 1)
      await client.query(`DROP TABLE ${quoteIdent(SAVED_SCHEMA)}.${quoteIdent(table)}`)
    }
    const left = await client.query(
      "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind <> 'i' LIMIT 1",
      [SAVED_SCHEMA],
    )
    if (left.rows.length === 0) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SAVED_SCHEMA)}`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
