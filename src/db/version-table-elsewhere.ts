import type pg from 'pg'
import { InvalidInputError } from '../errors/index.js'
import { quoteQualified, sqlQualified } from './quote.js'
import type { QualifiedName } from './version-table.js'

/** A table of the version table's name, in another schema of the session's search_path. */
interface VersionTableElsewhere {
  readonly table: QualifiedName
  /** Its rows; undefined when this role may not read them. */
  readonly rows: readonly string[] | undefined
}

/**
 * Refuses to take a database for unmigrated when its revisions are in a version table
 * of the same name in another schema of the search_path. Alembic without
 * `version_table_schema` writes `alembic_version` unqualified, so with a search_path of
 * `app, public` it lives in `app`; Strata, looking in `public`, would find nothing and
 * run every migration again from the first. Called when the configured table is missing
 * or empty; a table elsewhere that is empty too changes nothing.
 */
export async function refuseVersionTableElsewhere(
  client: pg.ClientBase,
  table: QualifiedName,
): Promise<void> {
  const { found, searchPath } = await versionTablesElsewhere(client, table)
  const holding = found.filter((other) => other.rows === undefined || other.rows.length > 0)
  if (holding.length === 0) return
  const other = holding[0]!
  const held =
    other.rows === undefined ? 'holds rows this role may not read' : `holds ${other.rows.join(', ')}`
  throw new InvalidInputError(
    `the version table ${sqlQualified(table.schema, table.name)} is missing or empty, but ${sqlQualified(other.table.schema, other.table.name)} ${held}: this database's revisions are in schema ${other.table.schema}, on its search_path (${searchPath.join(', ')}), where Alembic keeps its table without version_table_schema. Nothing was changed`,
    {
      hint: `set migrations.versionTableSchema: '${other.table.schema}' in the Strata config (env.py's version_table_schema), so that Strata reads and writes that table; or, if that table is another application's, versionTableSchema: '${table.schema}' to keep to this one`,
    },
  )
}

async function versionTablesElsewhere(
  client: pg.ClientBase,
  table: QualifiedName,
): Promise<{ found: VersionTableElsewhere[]; searchPath: string[] }> {
  // Read only where this role may: a failed read would abort a caller's transaction.
  const { rows } = await client.query<{ schema: string; readable: boolean; search_path: string[] }>(
    `SELECT n.nspname AS schema, has_table_privilege(c.oid, 'SELECT') AS readable,
            current_schemas(false)::text[] AS search_path
       FROM unnest(current_schemas(false)) WITH ORDINALITY AS path(name, position)
       JOIN pg_namespace n ON n.nspname = path.name
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $1 AND c.relkind IN ('r', 'p')
      WHERE n.nspname <> $2
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'version_num' AND NOT a.attisdropped)
      ORDER BY path.position`,
    [table.name, table.schema],
  )
  const found: VersionTableElsewhere[] = []
  for (const { schema, readable } of rows) {
    const other = { schema, name: table.name }
    const read = readable
      ? (
          await client.query<{ version_num: string }>(
            `SELECT version_num FROM ${quoteQualified(schema, table.name)}`,
          )
        ).rows.map((row) => row.version_num)
      : undefined
    found.push({ table: other, rows: read })
  }
  return { found, searchPath: rows[0]?.search_path ?? [] }
}
