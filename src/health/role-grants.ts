import type pg from 'pg'
import { NOT_EXTENSION_MEMBER } from '../db/catalog-filters.js'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/**
 * "Application roles granted": each role in `health.roles` holds its privileges on
 * every table of the managed schemas, USAGE on those schemas, and USAGE on the
 * sequences behind the tables it may INSERT into. The usual failure is a table a
 * migration created as the migration owner that the application cannot touch.
 */
export async function checkRoleGrants(
  client: pg.ClientBase,
  schemas: readonly string[],
  roles: Readonly<Record<string, readonly string[]>>,
  /** `schema.table` names the roles need no grants on: Strata's own tables. */
  skip: ReadonlySet<string> = new Set(),
): Promise<CheckOutcome> {
  const problems: string[] = []
  let checked = 0
  for (const [role, privileges] of Object.entries(roles)) {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])
    if (exists.rowCount === 0) {
      problems.push(
        `role ${role} (named in health.roles) does not exist: CREATE ROLE ${quoteIdent(role)} or fix the config`,
      )
      continue
    }
    checked += 1
    const schemaGaps = await client.query<{ schema: string }>(
      `SELECT n.nspname AS schema FROM pg_namespace n
        WHERE n.nspname = ANY($1) AND NOT has_schema_privilege($2, n.oid, 'USAGE') ORDER BY 1`,
      [schemas, role],
    )
    for (const { schema } of schemaGaps.rows)
      problems.push(
        `${role}: USAGE on schema ${schema} missing (GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(role)})`,
      )
    const tableGaps = await client.query<{ schema: string; name: string; missing: string[] }>(
      `SELECT n.nspname AS schema, c.relname AS name,
              array(SELECT p FROM unnest($3::text[]) p WHERE NOT has_table_privilege($2, c.oid, p)) AS missing
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition AND n.nspname = ANY($1)
          AND ${NOT_EXTENSION_MEMBER}
        ORDER BY 1, 2`,
      [schemas, role, privileges],
    )
    for (const table of tableGaps.rows) {
      if (table.missing.length === 0 || skip.has(`${table.schema}.${table.name}`)) continue
      const list = table.missing.join(', ')
      problems.push(
        `${role}: ${list} on ${table.schema}.${table.name} missing (GRANT ${list} ON ${quoteQualified(table.schema, table.name)} TO ${quoteIdent(role)})`,
      )
    }
    if (privileges.includes('INSERT')) {
      const sequenceGaps = await client.query<{ schema: string; name: string }>(
        `SELECT sn.nspname AS schema, s.relname AS name
           FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
           JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
          WHERE s.relkind = 'S' AND sn.nspname = ANY($1)
            AND NOT (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.oid = d.refobjid) = ANY($3)
            AND has_table_privilege($2, d.refobjid, 'INSERT')
            -- CASE keeps has_sequence_privilege away from rows that are not sequences.
            AND CASE WHEN s.relkind = 'S' THEN NOT has_sequence_privilege($2, s.oid, 'USAGE') ELSE false END
          ORDER BY 1, 2`,
        [schemas, role, [...skip]],
      )
      for (const sequence of sequenceGaps.rows)
        problems.push(
          `${role}: USAGE on sequence ${sequence.schema}.${sequence.name} missing, so its INSERTs fail (GRANT USAGE ON SEQUENCE ${quoteQualified(sequence.schema, sequence.name)} TO ${quoteIdent(role)})`,
        )
    }
  }
  if (problems.length === 0) return { status: 'ok', summary: `${plural(checked, 'role')} hold their grants` }
  return { status: 'fail', summary: plural(problems.length, 'missing grant'), details: problems }
}
