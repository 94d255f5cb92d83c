/**
 * SQL conditions shared by every catalog query that looks at the application's objects
 * only. Each expects the usual aliases: `n` for pg_namespace, `c` for pg_class.
 */

/** True for a schema PostgreSQL itself owns (alias `n`). */
export const NOT_SYSTEM_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'`

/**
 * True for a `pg_class` row (alias `c`) that does not belong to an extension: such
 * objects are the extension's business, not the migrations'.
 */
export const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`
