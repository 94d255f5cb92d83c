import { quoteIdent } from '../../db/quote.js'
import type { MigrationOp } from '../migration-op.js'
import { MANAGED } from '../sql-executor.js'
import { inSchemaOf, type RelationName, relation } from '../sql-fragments.js'

// What `rebuildTable` gives the new table besides its columns, read from the old one:
// without it the table swapped in would go without its unique indexes (duplicates get
// in), its other indexes (queries turn to scans), its checks and foreign keys, its
// triggers, row-level security, grants (the application's role could not read it) and
// comments. Indexes and constraints are made on the new table before the swap, under
// names of their own, and take the old names at the swap (the old table's get
// `_strata_old`); the rest is made in the swap's transaction, where the new table
// already has the name those definitions use (and the sequences its serial columns own
// pass to the new table's columns of the same names).

/** An index or constraint made on the new table before the swap. */
export interface CarriedName {
  /** The old table's name for it, which the new table's takes at the swap. */
  readonly name: string
  /** The statement that makes it on the new table, under `<name>_strata_new`. */
  readonly create: string
  readonly kind: 'index' | 'constraint' | 'foreign key'
}

export interface TableObjects {
  /** Made on the new table after the copy, before the swap. */
  readonly beforeSwap: readonly CarriedName[]
  /** Foreign keys added NOT VALID before the swap: validated then too. */
  readonly validate: readonly string[]
  /** The old table's primary key constraint, whose name the new one takes. */
  readonly primaryKey: string | undefined
  /** Made in the swap's transaction: triggers, row-level security and policies, grants, owner, comments. */
  readonly afterSwap: readonly string[]
}

/** `<name>_strata_new` / `_strata_old`, within 63 bytes. */
export function sideName(name: string, side: 'new' | 'old'): string {
  return `${name}_strata_${side}`.slice(0, 63)
}

export async function tableObjects(
  op: MigrationOp,
  table: RelationName,
  shadow: RelationName,
): Promise<TableObjects> {
  const [facts] = await op.query<{
    qualified: string
    primary_key: string | null
    indexes: { name: string; definition: string }[]
    constraints: { name: string; type: string; definition: string }[]
    triggers: string[]
    policies: string[]
    security: string[]
    grants: string[]
    column_grants: string[]
    sequences: string[]
    owner: string | null
    comments: string[]
  }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS qualified,
            (SELECT conname FROM pg_constraint WHERE conrelid = c.oid AND contype = 'p') AS primary_key,
            coalesce((SELECT json_agg(json_build_object('name', i.relname, 'definition', pg_get_indexdef(i.oid)) ORDER BY i.relname)
                        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                       WHERE x.indrelid = c.oid
                         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = c.oid)),
                     '[]') AS indexes,
            coalesce((SELECT json_agg(json_build_object('name', k.conname, 'type', k.contype, 'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname)
                        FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('c', 'u', 'x', 'f')),
                     '[]') AS constraints,
            ARRAY(SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
                   WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgname NOT LIKE 'strata\\_%' ORDER BY t.tgname) AS triggers,
            ARRAY(SELECT format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s%s%s', p.policyname, p.schemaname, p.tablename,
                                p.permissive, p.cmd, array_to_string(p.roles, ', '),
                                CASE WHEN p.qual IS NULL THEN '' ELSE ' USING (' || p.qual || ')' END,
                                CASE WHEN p.with_check IS NULL THEN '' ELSE ' WITH CHECK (' || p.with_check || ')' END)
                    FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname ORDER BY p.policyname) AS policies,
            ARRAY(SELECT s FROM unnest(ARRAY[
                    CASE WHEN c.relrowsecurity THEN format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', n.nspname, c.relname) END,
                    CASE WHEN c.relforcerowsecurity THEN format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', n.nspname, c.relname) END]) AS s
                   WHERE s IS NOT NULL) AS security,
            ARRAY(SELECT format('GRANT %s ON %I.%I TO %s%s', a.privilege_type, n.nspname, c.relname,
                                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                    FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner ORDER BY 1) AS grants,
            -- Column grants, for the columns the new table has.
            ARRAY(SELECT format('GRANT %s (%I) ON %I.%I TO %s%s', g.privilege_type, att.attname, n.nspname, c.relname,
                                CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                                CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                    FROM pg_attribute att CROSS JOIN LATERAL aclexplode(att.attacl) g
                   WHERE att.attrelid = c.oid AND att.attnum > 0 AND NOT att.attisdropped AND g.grantee <> c.relowner
                     AND EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = to_regclass($2) AND s.attname = att.attname
                                   AND NOT s.attisdropped)
                   ORDER BY 1) AS column_grants,
            -- Sequences its columns own (serial): owned by the new table's column of that name,
            -- or the old table's eventual DROP would take them from the new table's defaults.
            ARRAY(SELECT format('ALTER SEQUENCE %s OWNED BY %I.%I.%I', d.objid::regclass, n.nspname, c.relname, att.attname)
                    FROM pg_depend d JOIN pg_attribute att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
                     AND d.deptype = 'a' AND (SELECT relkind FROM pg_class q WHERE q.oid = d.objid) = 'S'
                     AND EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = to_regclass($2) AND s.attname = att.attname
                                   AND NOT s.attisdropped)
                   ORDER BY 1) AS sequences,
            CASE WHEN c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
                 THEN format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, pg_get_userbyid(c.relowner)) END AS owner,
            ARRAY(SELECT CASE WHEN d.objsubid = 0 THEN format('COMMENT ON TABLE %I.%I IS %L', n.nspname, c.relname, d.description)
                              ELSE format('COMMENT ON COLUMN %I.%I.%I IS %L', n.nspname, c.relname, a.attname, d.description) END
                    FROM pg_description d LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
                   WHERE d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND (d.objsubid = 0 OR a.attnum IS NOT NULL)
                   ORDER BY d.objsubid) AS comments
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [relation(table), relation(shadow)],
    MANAGED,
  )
  if (facts === undefined) return { beforeSwap: [], validate: [], primaryKey: undefined, afterSwap: [] }
  const shadowName = relation(shadow)
  const onShadow = (definition: string) => definition.replace(` ON ${facts.qualified} `, ` ON ${shadowName} `)
  const beforeSwap: CarriedName[] = []
  const validate: string[] = []
  for (const index of facts.indexes)
    beforeSwap.push({
      name: index.name,
      kind: 'index',
      create: onShadow(
        index.definition.replace(
          /^CREATE (UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) /,
          `CREATE $1INDEX ${quoteIdent(sideName(index.name, 'new'))} `,
        ),
      ),
    })
  for (const constraint of facts.constraints) {
    // A check or foreign key's name is its table's own; a unique or exclusion constraint
    // names an index too, which must differ from the old table's until the swap.
    const ownName = constraint.type === 'c' || constraint.type === 'f'
    const name = ownName ? constraint.name : sideName(constraint.name, 'new')
    const notValid = constraint.type === 'f' && !constraint.definition.endsWith('NOT VALID')
    const add = `ALTER TABLE ${shadowName} ADD CONSTRAINT ${quoteIdent(name)} ${constraint.definition}${notValid ? ' NOT VALID' : ''}`
    beforeSwap.push({
      name: constraint.name,
      kind: constraint.type === 'f' ? 'foreign key' : 'constraint',
      create: add,
    })
    if (notValid) validate.push(`ALTER TABLE ${shadowName} VALIDATE CONSTRAINT ${quoteIdent(name)}`)
  }
  return {
    beforeSwap,
    validate,
    primaryKey: facts.primary_key ?? undefined,
    afterSwap: [
      ...facts.triggers,
      ...facts.security,
      ...facts.policies,
      ...(facts.owner === null ? [] : [facts.owner]),
      ...facts.grants,
      ...facts.column_grants,
      ...facts.sequences,
      ...facts.comments,
    ],
  }
}

/** What cannot be carried to the new table: its publications (logical replication would go on sending the old table), its rules. */
export async function uncarriedTableObjects(op: MigrationOp, table: RelationName): Promise<string[]> {
  const rows = await op.query<{ name: string }>(
    `SELECT format('publication %s (logical replication would go on sending the old table)', p.pubname) AS name
       FROM pg_publication_tables p JOIN pg_class c ON c.relname = p.tablename
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.schemaname
      WHERE c.oid = to_regclass($1)
     UNION ALL
     SELECT format('rule %s', rulename) FROM pg_rewrite WHERE ev_class = to_regclass($1) AND rulename <> '_RETURN'`,
    [relation(table)],
    MANAGED,
  )
  return rows.map((row) => row.name)
}

/**
 * In the swap's transaction, after the tables' names swapped: the old table's indexes
 * and constraints (and primary key) step aside as `_strata_old`, the new table's take
 * their names. Checks and foreign keys kept their own names on the new table; the old
 * table's foreign keys are dropped (`restoredForeignKeys` puts them back on a revert).
 */
export function swapNames(
  table: RelationName,
  old: RelationName,
  objects: TableObjects,
  shadowKey: string,
): string[] {
  const inSchema = (name: string) => relation(inSchemaOf(table, name))
  const statements: string[] = []
  const renameConstraint = (on: RelationName, from: string, to: string) =>
    `ALTER TABLE ${relation(on)} RENAME CONSTRAINT ${quoteIdent(from)} TO ${quoteIdent(to)}`
  if (objects.primaryKey !== undefined) {
    statements.push(renameConstraint(old, objects.primaryKey, sideName(objects.primaryKey, 'old')))
    statements.push(renameConstraint(table, shadowKey, objects.primaryKey))
  }
  for (const carried of objects.beforeSwap) {
    if (carried.kind === 'index') {
      statements.push(
        `ALTER INDEX ${inSchema(carried.name)} RENAME TO ${quoteIdent(sideName(carried.name, 'old'))}`,
      )
      statements.push(
        `ALTER INDEX ${inSchema(sideName(carried.name, 'new'))} RENAME TO ${quoteIdent(carried.name)}`,
      )
    } else if (carried.kind === 'foreign key') {
      // The old table takes no more writes: its keys would only refuse the deletion of
      // rows its old rows reference, which the new table may no longer need.
      statements.push(`ALTER TABLE ${relation(old)} DROP CONSTRAINT ${quoteIdent(carried.name)}`)
    } else if (carried.create.includes(` ADD CONSTRAINT ${quoteIdent(sideName(carried.name, 'new'))} `)) {
      statements.push(renameConstraint(old, carried.name, sideName(carried.name, 'old')))
      statements.push(renameConstraint(table, sideName(carried.name, 'new'), carried.name))
    }
  }
  return statements
}

/** The names of the indexes and constraints the new table has already (a re-run after an interruption). */
export async function madeAlready(op: MigrationOp, shadow: RelationName): Promise<Set<string>> {
  const rows = await op.query<{ name: string }>(
    `SELECT conname::text AS name FROM pg_constraint WHERE conrelid = to_regclass($1)
     UNION SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = to_regclass($1)`,
    [relation(shadow)],
    MANAGED,
  )
  return new Set(rows.map((row) => row.name))
}
