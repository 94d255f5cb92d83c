import type pg from 'pg'
import { sqlIdent } from '../db/quote.js'
import { INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import type { DatabaseFailure } from './describe-failure.js'

/**
 * For a migration statement PostgreSQL refused for want of a privilege: who owns the
 * object, who ran the migration, and the GRANT or ALTER ... OWNER that lets it run. The
 * usual first-week cause is migrating as the application's role while the tables belong
 * to the role that created them (or, since PostgreSQL 15, creating in `public` as a role
 * that does not own the database). "Fix the migration" would send the user to the wrong
 * file. Reads the catalog on the failed migration's session (rolled back by then);
 * undefined for other failures, or when the catalog cannot be read.
 */
export async function privilegeHint(
  client: pg.ClientBase,
  failure: DatabaseFailure,
  statementSql: string | undefined,
): Promise<string | undefined> {
  if (failure.code !== INSUFFICIENT_PRIVILEGE) return undefined
  try {
    const notOwner =
      /^must be owner of (?:table|index|sequence|view|materialized view|relation|foreign table) (.+)$/.exec(
        failure.message,
      )
    if (notOwner) return await notOwnerHint(client, notOwner[1]!)
    const schema = /^permission denied for schema (.+)$/.exec(failure.message)
    if (schema) return await schemaHint(client, schema[1]!)
    const relation =
      /^permission denied for (?:table|sequence|view|materialized view|foreign table) (.+)$/.exec(
        failure.message,
      )
    if (relation) return await relationPrivilegeHint(client, relation[1]!, statementSql)
    return undefined
  } catch {
    return undefined // the failure itself is what must reach the user
  }
}

interface Owned {
  readonly me: string
  readonly owner: string
  readonly ownerIsSuperuser: boolean
  /** The object whose owner decides, schema-qualified: an index's or owned sequence's table. */
  readonly owned: string
  readonly kind: string
}

/**
 * The relation PostgreSQL named (by its bare name, as its messages do; the one on the
 * search path first) and the object that carries its ownership: an index belongs to
 * its table's owner, and so does a serial or identity column's sequence.
 */
async function ownerOf(client: pg.ClientBase, name: string): Promise<Owned | undefined> {
  const { rows } = await client.query<{
    me: string
    owner: string
    owner_is_superuser: boolean
    owned: string
    kind: string
  }>(
    `SELECT current_user AS me, r.rolname AS owner, r.rolsuper AS owner_is_superuser,
            format('%I.%I', tn.nspname, t.relname) AS owned, t.relkind::text AS kind
       FROM pg_class c
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_depend d ON c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       JOIN pg_class t ON t.oid = coalesce(i.indrelid, d.refobjid, c.oid)
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_roles r ON r.oid = t.relowner
      WHERE c.relname = $1
      ORDER BY pg_table_is_visible(c.oid) DESC, c.oid
      LIMIT 1`,
    [name],
  )
  const row = rows[0]
  if (row === undefined) return undefined
  return {
    me: row.me,
    owner: row.owner,
    ownerIsSuperuser: row.owner_is_superuser,
    owned: row.owned,
    kind: row.kind,
  }
}

async function notOwnerHint(client: pg.ClientBase, name: string): Promise<string | undefined> {
  const found = await ownerOf(client, name)
  if (found === undefined) return undefined
  const { me, owner, owned } = found
  const alter = `ALTER ${ALTER_KEYWORD[found.kind] ?? 'TABLE'} ${owned} OWNER TO ${sqlIdent(me)}`
  // Membership in a superuser role grants its objects, not its attributes; still, nobody
  // should be told to hand the migration role to a superuser.
  const member = found.ownerIsSuperuser
    ? ''
    : `, or GRANT ${sqlIdent(owner)} TO ${sqlIdent(me)} (${me} may then act as owner of everything ${owner} owns)`
  return `${owned} is owned by ${owner}, and ${me}, the role running the migration, is not its owner: ALTER, CREATE INDEX and DROP on it take the owner. Run the migrations as ${owner} (its URL in the config, or --url), or, as ${owner}: ${alter}${member}; then run the command again`
}

async function schemaHint(client: pg.ClientBase, schema: string): Promise<string | undefined> {
  const { rows } = await client.query<{ me: string; owner: string; usage: boolean; major: number }>(
    `SELECT current_user AS me, pg_get_userbyid(n.nspowner) AS owner,
            has_schema_privilege(n.oid, 'USAGE') AS usage,
            current_setting('server_version_num')::int / 10000 AS major
       FROM pg_namespace n WHERE n.nspname = $1`,
    [schema],
  )
  const row = rows[0]
  if (row === undefined) return undefined
  const quoted = sqlIdent(schema)
  if (!row.usage)
    return `${row.me}, the role running the migration, may not use schema ${schema} (owned by ${row.owner}): as ${row.owner}, GRANT USAGE ON SCHEMA ${quoted} TO ${sqlIdent(row.me)} (and CREATE, to create in it); or run the migrations as ${row.owner}`
  const public15 =
    schema === 'public' && row.major >= 15
      ? ' Since PostgreSQL 15 only the database owner may create in public unless granted.'
      : ''
  return `${row.me}, the role running the migration, may not create in schema ${schema} (owned by ${row.owner}).${public15} As ${row.owner}: GRANT CREATE ON SCHEMA ${quoted} TO ${sqlIdent(row.me)}; or run the migrations as ${row.owner}`
}

async function relationPrivilegeHint(
  client: pg.ClientBase,
  name: string,
  statementSql: string | undefined,
): Promise<string | undefined> {
  const found = await ownerOf(client, name)
  if (found === undefined) return undefined
  const { me, owner, owned } = found
  const needed = privilegesFor(statementSql)
  // Only those missing: an UPDATE ... WHERE refused for want of SELECT alone asks for SELECT.
  const { rows } = await client.query<{ missing: string[] }>(
    'SELECT ARRAY(SELECT p FROM unnest($1::text[]) WITH ORDINALITY AS w(p, o) WHERE NOT has_table_privilege($2::regclass, p) ORDER BY o) AS missing',
    [needed, owned],
  )
  const missing = rows[0]?.missing ?? []
  const privileges = missing.length > 0 ? missing.join(', ') : undefined
  return `${me}, the role running the migration, lacks ${privileges ?? 'a privilege the statement needs'} on ${owned} (owned by ${owner}): as ${owner}, GRANT ${privileges ?? '<privilege>'} ON ${owned} TO ${sqlIdent(me)}; or run the migrations as ${owner}`
}

/** The privileges a statement needs on the table PostgreSQL named, from its first word. */
function privilegesFor(sql: string | undefined): string[] {
  if (sql === undefined) return []
  if (/^\s*ALTER\s+TABLE\b[\s\S]*\bREFERENCES\b/i.test(sql)) return ['REFERENCES']
  const verb = /^\s*(INSERT|UPDATE|DELETE|SELECT|TRUNCATE|COPY|MERGE)\b/i.exec(sql)?.[1]?.toUpperCase()
  switch (verb) {
    case undefined:
      return []
    case 'COPY':
      return [/\bFROM\b/i.test(sql) ? 'INSERT' : 'SELECT']
    case 'UPDATE':
    case 'DELETE':
      // A WHERE reads the table too.
      return /\bWHERE\b/i.test(sql) ? ['SELECT', verb] : [verb]
    case 'MERGE':
      return ['SELECT', 'INSERT', 'UPDATE', 'DELETE']
    default:
      return [verb]
  }
}

/** The ALTER that changes the owner of each relation kind (pg_class.relkind). */
const ALTER_KEYWORD: Readonly<Record<string, string>> = {
  r: 'TABLE',
  p: 'TABLE',
  v: 'VIEW',
  m: 'MATERIALIZED VIEW',
  S: 'SEQUENCE',
  f: 'FOREIGN TABLE',
}
