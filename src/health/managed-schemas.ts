import type pg from 'pg'
import { SAVED_SCHEMA } from '../backup/saved-data.js'
import type { ResolvedConfig } from '../config/types.js'
import { NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { runnerTables } from '../runner/tables.js'

/**
 * The schemas verify and diagnose look at: the configured list, or every schema but the
 * system ones, extensions' and `strata_saved` (copies a downgrade kept, not the
 * migrations' schema). Configured schemas that do not exist are returned in `missing`.
 */
export async function managedSchemas(
  client: pg.ClientBase,
  configured: readonly string[] | undefined,
): Promise<{ schemas: string[]; missing: string[] }> {
  const result = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n WHERE ${NOT_SYSTEM_SCHEMA} AND n.nspname <> $1
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                         AND d.objid = n.oid AND d.deptype = 'e')
     ORDER BY n.nspname`,
    [SAVED_SCHEMA],
  )
  const present = result.rows.map((row) => row.nspname)
  if (configured === undefined) return { schemas: present, missing: [] }
  return {
    schemas: configured.filter((schema) => present.includes(schema)),
    missing: configured.filter((schema) => !present.includes(schema)),
  }
}

/**
 * `schemas` less those migrated on their own: a schema (other than the one holding this
 * database's version table) with a version table of its own is a tenant of a
 * schema-per-tenant fleet (`strata tenants ... --schemas`), at its own revision. Its
 * tables are neither drift from this database's migrations nor changes to write into
 * them. `separate` names what was left out.
 */
export async function withoutSeparatelyMigrated(
  client: pg.ClientBase,
  schemas: readonly string[],
  versionTable: { readonly schema: string; readonly name: string },
): Promise<{ schemas: string[]; separate: string[] }> {
  const result = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname <> $2
      ORDER BY n.nspname`,
    [versionTable.name, versionTable.schema],
  )
  const own = new Set(result.rows.map((row) => row.nspname))
  return {
    schemas: schemas.filter((schema) => !own.has(schema)),
    separate: schemas.filter((schema) => own.has(schema)),
  }
}

/**
 * The schemas this database's migrations make, for comparing or generating them: the
 * managed schemas (`health.schemas`, or all but the system ones) less those a
 * schema-per-tenant fleet migrates on their own.
 */
export async function migratedSchemas(client: pg.ClientBase, config: ResolvedConfig): Promise<string[]> {
  const { schemas } = await managedSchemas(client, config.health.schemas)
  return (await withoutSeparatelyMigrated(client, schemas, runnerTables(config).version)).schemas
}
