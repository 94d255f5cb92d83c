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

/**
 * Joins a sequence from `pg_sequences s` to its `pg_class` row (`sc`) and, through
 * `pg_depend` (`d`), to the table of the serial or identity column that owns it:
 * `d.refobjid` is that table, `d.refobjsubid` the column; NULL for a free-standing sequence.
 */
export const SEQUENCE_OWNER_JOIN = `JOIN pg_namespace sn ON sn.nspname = s.schemaname
       JOIN pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = sc.oid
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')`
