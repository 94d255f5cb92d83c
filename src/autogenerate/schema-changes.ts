import { sqlIdent } from '../db/quote.js'
import { type CatalogSnapshot, isTableKind } from '../health/drift/catalog-snapshot.js'
import { ChangePlan } from './change-plan.js'
import { constraintAndIndexChanges, type OnlineForms } from './constraint-and-index-changes.js'
import { commentChanges, memberChanges, routineChanges, viewChanges } from './dependent-changes.js'
import { sequenceHandovers } from './identity-conversions.js'
import { memberOf, relationName, tableOf } from './object-names.js'
import { remadeColumns } from './remade-objects.js'
import { createTable } from './table-ddl.js'
import { columnChanges, partitioningChanges, sequenceChanges } from './table-shape-changes.js'
import { enumChanges, typeChanges } from './type-changes.js'

/** The SQL that turns one schema into another. */
export interface SchemaChanges {
  /** Before `statements`, each committed: enum values added, where a statement uses one (usable only once committed). */
  readonly enumValues: readonly string[]
  /** Statements in an order PostgreSQL accepts: drops of dependents first, creations of dependents last. */
  readonly statements: readonly string[]
  /** With online forms: what runs after them outside a transaction, one statement at a time. */
  readonly online: readonly string[]
  /** The indexes `online` builds (`schema.index`). */
  readonly builtOnline: readonly string[]
  /** After `online`, in a transaction of its own: primary keys and unique constraints added `USING INDEX`. */
  readonly afterOnline: readonly string[]
  /** The constraints `afterOnline` adds (`schema.table.constraint`). */
  readonly keysApart: readonly string[]
  /** Stored generated columns dropped and added again (`schema.table.column`): computed again, no data lost. */
  readonly regenerated: readonly string[]
  /** Differences SQL cannot express safely, said in one line each, for a person to write. */
  readonly byHand: readonly string[]
}

/**
 * What turns the schema `from` into `to`, both read by `readCatalog`: `from` is what the
 * migrations build, `to` the database as it is, for `strata revision --autogenerate`'s
 * upgrade; the same call with the two swapped gives its downgrade. Objects of a table
 * created or dropped go with it (its columns in `CREATE TABLE`, its indexes and
 * triggers with `DROP TABLE`); objects of a table on both sides are compared one by one.
 */
export function schemaChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  forms: OnlineForms = { online: false, leaveIndexes: new Set() },
): SchemaChanges {
  const plan = new ChangePlan()
  const byHand: string[] = []
  const isTable = (snapshot: CatalogSnapshot, key: string) => isTableKind(snapshot.tables.get(key))
  const inBoth = (table: string) => isTable(from, table) && isTable(to, table)
  const created = (table: string) => isTable(to, table) && !isTable(from, table)
  const dropped = (table: string) => isTable(from, table) && !isTable(to, table)
  const kept = (table: string) => inBoth(table) || created(table)

  for (const [key, kind] of to.tables)
    if (kind === 'f' && from.tables.get(key) !== 'f')
      byHand.push(`foreign table ${relationName(key)}: write its CREATE FOREIGN TABLE by hand`)
  for (const [key, kind] of from.tables)
    if (kind === 'f' && to.tables.get(key) !== 'f')
      byHand.push(`foreign table ${relationName(key)}: write its DROP FOREIGN TABLE by hand`)
  byHand.push(...partitioningChanges(from, to, inBoth))

  for (const schema of to.schemas)
    if (!from.schemas.has(schema)) plan.schemas.push(`CREATE SCHEMA ${sqlIdent(schema)};`)
  for (const schema of from.schemas)
    if (!to.schemas.has(schema)) plan.lastly.push(`DROP SCHEMA ${sqlIdent(schema)};`)
  // Installed where the database has them; a downgrade leaves them (other objects may use them).
  for (const [name, schema] of to.extensions)
    if (!from.extensions.has(name))
      plan.schemas.push(`CREATE EXTENSION IF NOT EXISTS ${sqlIdent(name)} WITH SCHEMA ${sqlIdent(schema)};`)
  enumChanges(from, to, plan, byHand)
  typeChanges(from, to, plan, byHand)
  // A partition's columns are its parent's: changed there, they change with it.
  const isPartition = (table: string) => from.partitions.has(table) || to.partitions.has(table)
  const columnsChanged = (table: string) => inBoth(table) && !isPartition(table)
  const handovers = sequenceHandovers(from, to, columnsChanged)
  sequenceChanges(from, to, plan, { created, dropped, kept }, handovers)

  for (const table of to.tables.keys()) if (created(table)) plan.tables.push(createTable(to, table))
  // One statement for every dropped table: PostgreSQL orders their foreign keys itself;
  // a partition goes with its parent.
  const droppedTables = [...from.tables].filter(
    ([table]) => dropped(table) && !dropped(from.partitions.get(table)?.parent ?? ''),
  )
  if (droppedTables.length > 0)
    plan.removals.push(`DROP TABLE ${droppedTables.map(([table]) => relationName(table)).join(', ')};`)
  // Read once: which columns go, and the generated columns and views that go with them.
  const remade = remadeColumns(from, to)
  columnChanges(from, to, plan, byHand, columnsChanged, forms.online, handovers, remade.regenerated)

  const { builtOnline, keysApart } = constraintAndIndexChanges(
    from,
    to,
    plan,
    { kept, inBoth },
    forms,
    remade.regenerated,
  )
  routineChanges(from, to, plan)
  viewChanges(from, to, plan, remade.takenAway)
  memberChanges(from.triggers, to.triggers, kept, plan, {
    drop: (key) => `DROP TRIGGER ${sqlIdent(memberOf(key))} ON ${relationName(tableOf(key))};`,
    create: (_key, definition) => `${definition};`,
  })
  memberChanges(from.policies, to.policies, kept, plan, {
    drop: (key) => `DROP POLICY ${sqlIdent(memberOf(key))} ON ${relationName(tableOf(key))};`,
    create: (key, definition) =>
      `CREATE POLICY ${sqlIdent(memberOf(key))} ON ${relationName(tableOf(key))} ${definition};`,
  })
  for (const table of new Set([...from.rowSecurity.keys(), ...to.rowSecurity.keys()])) {
    if (!kept(table)) continue
    const before = from.rowSecurity.get(table) ?? 'disabled'
    const after = to.rowSecurity.get(table) ?? 'disabled'
    if (before === after) continue
    const name = relationName(table)
    if ((before === 'disabled') !== (after === 'disabled'))
      plan.late.push(`ALTER TABLE ${name} ${after === 'disabled' ? 'DISABLE' : 'ENABLE'} ROW LEVEL SECURITY;`)
    if (before.includes('forced') !== after.includes('forced'))
      plan.late.push(
        `ALTER TABLE ${name} ${after.includes('forced') ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;`,
      )
  }
  commentChanges(from, to, plan, kept)
  const { enumValues, statements } = plan.ordered()
  return {
    enumValues,
    statements,
    regenerated: [...remade.regenerated],
    online: plan.online,
    builtOnline,
    afterOnline: plan.afterOnline,
    keysApart,
    byHand,
  }
}
