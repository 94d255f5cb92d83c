import type pg from 'pg'
import { sqlIdent } from '../db/quote.js'
import type { CheckOutcome } from '../health/check-result.js'
import { plural } from '../util/plural.js'

/** What the connecting role may do to the schema its migrations change. */
export interface SchemaRights {
  readonly role: string
  readonly superuser: boolean
  readonly tables: number
  /** Tables owned by roles this one is not a member of: ALTER, CREATE INDEX and DROP on them fail. */
  readonly notOwned: readonly {
    readonly table: string
    readonly owner: string
    readonly ownerIsSuperuser: boolean
  }[]
  /** Whether it may create in the schema Strata's version table lives in (public by default). */
  readonly createInSchema: boolean
  readonly schema: string
}

/** Reads, for the doctor, which tables the role could not alter and whether it may create tables. */
export async function readSchemaRights(
  client: pg.ClientBase,
  schema: string,
  /** Strata's own tables (`schema.name`): they need rows written, not their owner. */
  own: readonly string[],
): Promise<SchemaRights> {
  const { rows } = await client.query<{
    role: string
    superuser: boolean
    tables: number
    not_owned: { table: string; owner: string; owner_is_superuser: boolean }[] | null
    create_in_schema: boolean | null
  }>(
    `SELECT current_user AS role,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            count(*)::int AS tables,
            json_agg(json_build_object('table', format('%I.%I', n.nspname, c.relname), 'owner', r.rolname,
                                       'owner_is_superuser', r.rolsuper) ORDER BY n.nspname, c.relname)
              FILTER (WHERE NOT pg_has_role(current_user, c.relowner, 'USAGE')) AS not_owned,
            has_schema_privilege(to_regnamespace($1)::oid, 'CREATE') AS create_in_schema
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'strata_saved') AND n.nspname NOT LIKE 'pg\\_%'
        AND n.nspname || '.' || c.relname <> ALL($2)`,
    [sqlIdent(schema), own],
  )
  const row = rows[0]!
  return {
    role: row.role,
    superuser: row.superuser,
    tables: row.tables,
    notOwned: (row.not_owned ?? []).map((entry) => ({
      table: entry.table,
      owner: entry.owner,
      ownerIsSuperuser: entry.owner_is_superuser,
    })),
    createInSchema: row.create_in_schema === true,
    schema,
  }
}

/**
 * The doctor's verdict: a warning, not a failure, since a role may be meant to run only
 * some migrations; but the usual first-week surprise (migrating as the application's
 * role while the tables belong to the one that created them, or PostgreSQL 15's
 * `public` without CREATE) is said before a migration fails on it.
 */
export function schemaRightsOutcome(rights: SchemaRights): CheckOutcome {
  if (rights.superuser) return { status: 'ok', summary: `${rights.role} is a superuser` }
  const problems: string[] = []
  const details: string[] = []
  if (rights.notOwned.length > 0) {
    const owners = [...new Set(rights.notOwned.map((entry) => entry.owner))]
    problems.push(
      `${plural(rights.notOwned.length, 'table')} of ${rights.tables} belong to ${owners.join(' and ')}, not to ${rights.role}`,
    )
    const sample = rights.notOwned.slice(0, 3).map((entry) => entry.table)
    details.push(
      `migrations that ALTER, index or drop them fail as ${rights.role} (${sample.join(', ')}${rights.notOwned.length > 3 ? ', ...' : ''}): run migrations as ${owners[0]}, or as ${owners[0]}: ALTER TABLE ${sample[0]} OWNER TO ${sqlIdent(rights.role)} for each${rights.notOwned.every((entry) => !entry.ownerIsSuperuser) ? `, or GRANT ${sqlIdent(owners[0]!)} TO ${sqlIdent(rights.role)}` : ''}`,
    )
  }
  if (!rights.createInSchema) {
    problems.push(`${rights.role} may not create in schema ${rights.schema}`)
    details.push(
      `migrations that create tables there fail (PostgreSQL 15+ gives only the database owner CREATE on public): as its owner, GRANT CREATE ON SCHEMA ${sqlIdent(rights.schema)} TO ${sqlIdent(rights.role)}`,
    )
  }
  if (problems.length === 0)
    return {
      status: 'ok',
      summary: `${rights.role} owns (or is a member of the owner of) ${plural(rights.tables, 'table')}, and may create in ${rights.schema}`,
    }
  return { status: 'warn', summary: problems.join('; '), details }
}
