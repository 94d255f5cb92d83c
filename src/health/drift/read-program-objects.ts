import { readServerVersionNum } from '../../db/connect.js'
import type { CatalogQuery, CatalogSnapshot, RoutineFacts, TypeFacts } from './catalog-snapshot.js'

/** What a snapshot holds besides relations: types, functions, triggers, policies, comments, extensions. */
export type ProgramFacts = Pick<
  CatalogSnapshot,
  | 'enums'
  | 'types'
  | 'routines'
  | 'triggers'
  | 'policies'
  | 'rowSecurity'
  | 'tableComments'
  | 'columnComments'
  | 'extensions'
>

export async function readProgramObjects({
  client,
  rows,
  keep,
  relationFilter,
}: CatalogQuery): Promise<ProgramFacts> {
  const enums = new Map<string, readonly string[]>()
  for (const row of await rows<{ schema: string; name: string; labels: string[] }>(
    `SELECT n.nspname AS schema, t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      GROUP BY 1, 2
      ORDER BY 1, 2`,
  )) {
    enums.set(`${row.schema}.${row.name}`, row.labels)
  }

  // Domains and composite types (not a table's row type), in creation order: a domain
  // may be over another, a composite may hold a domain.
  const types = new Map<string, TypeFacts>()
  for (const row of await rows<{ schema: string; name: string; kind: 'd' | 'c'; definition: string }>(
    `SELECT n.nspname AS schema, t.typname AS name, t.typtype::text AS kind,
            CASE t.typtype
              WHEN 'd' THEN concat_ws(' ', 'AS ' || format_type(t.typbasetype, t.typtypmod),
                     CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN 'COLLATE ' || quote_ident(co.collname) END,
                     'DEFAULT ' || t.typdefault, CASE WHEN t.typnotnull THEN 'NOT NULL' END,
                     (SELECT string_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname)
                        FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'))
              ELSE 'AS (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                 FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')'
            END AS definition
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
       LEFT JOIN pg_collation co ON co.oid = t.typcollation
       LEFT JOIN pg_class r ON r.oid = t.typrelid
      WHERE n.nspname = ANY($1) AND (t.typtype = 'd' OR (t.typtype = 'c' AND r.relkind = 'c'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      ORDER BY t.oid`,
  )) {
    types.set(`${row.schema}.${row.name}`, {
      kind: row.kind === 'd' ? 'domain' : 'composite',
      definition: row.definition,
    })
  }

  const routines = new Map<string, RoutineFacts>()
  for (const row of await rows<{ schema: string; signature: string; kind: 'f' | 'p'; definition: string }>(
    `SELECT n.nspname AS schema, format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS signature,
            p.prokind::text AS kind, pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY p.oid`,
  )) {
    routines.set(`${row.schema}.${row.signature}`, {
      kind: row.kind === 'p' ? 'procedure' : 'function',
      definition: row.definition.trim(),
    })
  }

  // A partition's copy of its parent's trigger is the parent's (tgparentid, PostgreSQL
  // 13+; 12 marks such copies internal).
  const serverVersion = await readServerVersionNum(client)
  const notCloned = serverVersion >= 130000 ? 'AND tg.tgparentid = 0' : ''
  const triggers = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; name: string; definition: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, tg.tgname AS name, pg_get_triggerdef(tg.oid) AS definition
       FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND NOT tg.tgisinternal ${notCloned}
      ORDER BY 1, 2, 3`,
  )) {
    if (keep(row.schema, row.table)) triggers.set(`${row.schema}.${row.table}.${row.name}`, row.definition)
  }

  const policies = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; name: string; definition: string }>(
    `SELECT schemaname AS schema, tablename AS table, policyname AS name,
            concat_ws(' ', CASE WHEN permissive = 'RESTRICTIVE' THEN 'AS RESTRICTIVE' END, 'FOR ' || cmd,
                      'TO ' || array_to_string(roles, ', '), 'USING (' || qual || ')',
                      'WITH CHECK (' || with_check || ')') AS definition
       FROM pg_policies WHERE schemaname = ANY($1)
      ORDER BY 1, 2, 3`,
  )) {
    if (keep(row.schema, row.table)) policies.set(`${row.schema}.${row.table}.${row.name}`, row.definition)
  }

  const rowSecurity = new Map<string, string>()
  for (const row of await rows<{ schema: string; name: string; forced: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relrowsecurity AND ${relationFilter}`,
  )) {
    if (keep(row.schema, row.name))
      rowSecurity.set(`${row.schema}.${row.name}`, row.forced ? 'enabled and forced' : 'enabled')
  }

  const tableComments = new Map<string, string>()
  const columnComments = new Map<string, string>()
  for (const row of await rows<{ schema: string; table: string; column: string | null; comment: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, d.description AS comment
       FROM pg_description d
       JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${relationFilter}
      ORDER BY 1, 2, d.objsubid`,
  )) {
    if (!keep(row.schema, row.table)) continue
    if (row.column === null) tableComments.set(`${row.schema}.${row.table}`, row.comment)
    else columnComments.set(`${row.schema}.${row.table}.${row.column}`, row.comment)
  }

  const extensions = new Map<string, string>()
  for (const row of (
    await client.query<{ name: string; schema: string }>(
      `SELECT e.extname AS name, n.nspname AS schema FROM pg_extension e
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid`,
    )
  ).rows)
    extensions.set(row.name, row.schema)

  return {
    enums,
    types,
    routines,
    triggers,
    policies,
    rowSecurity,
    tableComments,
    columnComments,
    extensions,
  }
}
