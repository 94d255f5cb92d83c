import type pg from 'pg'

/** Schemas PostgreSQL itself owns; never checked. */
const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'`

/**
 * The schemas verify and diagnose look at: the configured list, or every schema but the
 * system ones. Configured schemas that do not exist are returned in `missing`.
 */
export async function managedSchemas(
  client: pg.ClientBase,
  configured: readonly string[] | undefined,
): Promise<{ schemas: string[]; missing: string[] }> {
  const result = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM_SCHEMA_FILTER}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                         AND d.objid = n.oid AND d.deptype = 'e')
     ORDER BY n.nspname`,
  )
  const present = result.rows.map((row) => row.nspname)
  if (configured === undefined) return { schemas: present, missing: [] }
  return {
    schemas: configured.filter((schema) => present.includes(schema)),
    missing: configured.filter((schema) => !present.includes(schema)),
  }
}

/**
 * SQL that is true for a `pg_class` row (alias `c`) that belongs to an extension:
 * such objects are the extension's business, not the migrations'.
 */
export const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`
