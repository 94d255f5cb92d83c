import { quoteLiteral, sqlIdent } from '../db/quote.js'
import type { CatalogSnapshot, ColumnFacts } from '../health/drift/catalog-snapshot.js'
import { ChangePlan } from './change-plan.js'
import { constraintAndIndexChanges, type OnlineForms } from './constraint-and-index-changes.js'
import { memberOf, relationName, routineName, tableOf } from './object-names.js'
import { columnDefinition, columnsOf, createTable, sequenceOptions } from './table-ddl.js'

/** The SQL that turns one schema into another. */
export interface SchemaChanges {
  /** Statements in an order PostgreSQL accepts: drops of dependents first, creations of dependents last. */
  readonly statements: readonly string[]
  /** With online forms: what runs after them outside a transaction, one statement at a time. */
  readonly online: readonly string[]
  /** The indexes `online` builds (`schema.index`). */
  readonly builtOnline: readonly string[]
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
  const isTable = (snapshot: CatalogSnapshot, key: string) =>
    ['r', 'p'].includes(snapshot.tables.get(key) ?? '')
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
  sequenceChanges(from, to, plan, { created, dropped, kept })

  for (const table of to.tables.keys()) if (created(table)) plan.tables.push(createTable(to, table))
  // One statement for every dropped table: PostgreSQL orders their foreign keys itself;
  // a partition goes with its parent.
  const droppedTables = [...from.tables].filter(
    ([table]) => dropped(table) && !dropped(from.partitions.get(table)?.parent ?? ''),
  )
  if (droppedTables.length > 0)
    plan.removals.push(`DROP TABLE ${droppedTables.map(([table]) => relationName(table)).join(', ')};`)
  // A partition's columns are its parent's: changed there, they change with it.
  const isPartition = (table: string) => from.partitions.has(table) || to.partitions.has(table)
  columnChanges(from, to, plan, byHand, (table) => inBoth(table) && !isPartition(table), forms.online)

  const builtOnline = constraintAndIndexChanges(from, to, plan, { kept, inBoth }, forms)
  routineChanges(from, to, plan)
  viewChanges(from, to, plan)
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
  return { statements: plan.ordered(), online: plan.online, builtOnline, byHand }
}

function enumChanges(from: CatalogSnapshot, to: CatalogSnapshot, plan: ChangePlan, byHand: string[]): void {
  const labels = (values: readonly string[]) => values.map(quoteLiteral).join(', ')
  for (const [key, values] of to.enums) {
    const before = from.enums.get(key)
    if (before === undefined) {
      plan.types.push(`CREATE TYPE ${relationName(key)} AS ENUM (${labels(values)});`)
      continue
    }
    const kept = values.filter((value) => before.includes(value))
    if (before.length !== kept.length || before.some((value, index) => kept[index] !== value)) {
      byHand.push(
        `enum ${relationName(key)}: (${labels(before)}) becomes (${labels(values)}); PostgreSQL cannot remove or reorder enum values: create a new type, move the columns to it, drop the old one`,
      )
      continue
    }
    values.forEach((value, index) => {
      if (before.includes(value)) return
      // Placed as in the database: after its predecessor, or before the first old value.
      const position =
        index > 0
          ? ` AFTER ${quoteLiteral(values[index - 1]!)}`
          : before.length > 0
            ? ` BEFORE ${quoteLiteral(before[0]!)}`
            : ''
      plan.types.push(`ALTER TYPE ${relationName(key)} ADD VALUE ${quoteLiteral(value)}${position};`)
    })
  }
  for (const key of from.enums.keys())
    if (!to.enums.has(key)) plan.typeRemovals.push(`DROP TYPE ${relationName(key)};`)
}

/** A table that becomes or stops being a partition, or whose key or bound changes: ATTACH / DETACH by hand. */
function partitioningChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  inBoth: (table: string) => boolean,
): string[] {
  const found: string[] = []
  const bound = (snapshot: CatalogSnapshot, table: string) => {
    const partition = snapshot.partitions.get(table)
    return partition === undefined
      ? 'not a partition'
      : `a partition of ${relationName(partition.parent)} ${partition.bound}`
  }
  for (const table of to.tables.keys()) {
    if (!inBoth(table)) continue
    if (bound(from, table) !== bound(to, table))
      found.push(
        `${relationName(table)}: ${bound(from, table)} becomes ${bound(to, table)}; write the ALTER TABLE ... ATTACH / DETACH PARTITION by hand`,
      )
    const before = from.partitionKeys.get(table) ?? 'not partitioned'
    const after = to.partitionKeys.get(table) ?? 'not partitioned'
    if (before !== after)
      found.push(
        `${relationName(table)}: partitioned ${before} becomes ${after}; a table's partitioning cannot be altered: rebuild it by hand`,
      )
  }
  return found
}

/** Domains and composite types: made and dropped whole; a changed one is for a person (ALTER DOMAIN, ALTER TYPE). */
function typeChanges(from: CatalogSnapshot, to: CatalogSnapshot, plan: ChangePlan, byHand: string[]): void {
  const create = (kind: 'domain' | 'composite') => (kind === 'domain' ? 'DOMAIN' : 'TYPE')
  for (const [key, type] of to.types) {
    const before = from.types.get(key)
    if (before === undefined)
      plan.types.push(`CREATE ${create(type.kind)} ${relationName(key)} ${type.definition};`)
    else if (before.definition !== type.definition || before.kind !== type.kind)
      byHand.push(
        `type ${relationName(key)}: ${before.kind} ${before.definition} becomes ${type.kind} ${type.definition}; write the ALTER ${create(type.kind)} by hand`,
      )
  }
  // Before the enums they may be over, newest first.
  for (const [key, type] of from.types)
    if (!to.types.has(key)) plan.typeRemovals.unshift(`DROP ${create(type.kind)} ${relationName(key)};`)
}

/**
 * Free-standing sequences, and those a serial column owns: created before the table that
 * uses them and given to their column after it; dropped with their table or column
 * (an identity's sequence comes and goes with its column and is never written).
 */
function sequenceChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  tables: { created: (t: string) => boolean; dropped: (t: string) => boolean; kept: (t: string) => boolean },
): void {
  for (const [key, text] of to.sequences) {
    const owner = to.sequenceOwners.get(key)
    if (owner?.identity) continue
    const before = from.sequences.get(key)
    if (before === undefined) {
      plan.types.push(`CREATE SEQUENCE ${relationName(key)} ${sequenceOptions(text)};`)
      if (owner !== undefined && tables.kept(tableOf(owner.column)))
        plan.additions.push(
          `ALTER SEQUENCE ${relationName(key)} OWNED BY ${relationName(tableOf(owner.column))}.${sqlIdent(memberOf(owner.column))};`,
        )
    } else if (before !== text)
      plan.types.push(`ALTER SEQUENCE ${relationName(key)} ${sequenceOptions(text)};`)
  }
  for (const key of from.sequences.keys()) {
    if (to.sequences.has(key)) continue
    const owner = from.sequenceOwners.get(key)
    if (owner?.identity) continue
    // Gone with its table, or with its column (DROP COLUMN drops the sequence it owns).
    if (owner !== undefined && (tables.dropped(tableOf(owner.column)) || !to.columns.has(owner.column)))
      continue
    plan.typeRemovals.push(`DROP SEQUENCE ${relationName(key)};`)
  }
}

function columnChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  byHand: string[],
  inBoth: (table: string) => boolean,
  online: boolean,
): void {
  for (const [key, after] of to.columns) {
    const table = tableOf(key)
    if (!inBoth(table)) continue
    const alter = `ALTER TABLE ${relationName(table)}`
    const column = sqlIdent(memberOf(key))
    const before = from.columns.get(key)
    if (before === undefined) {
      plan.tables.push(`${alter} ADD COLUMN ${columnDefinition(memberOf(key), after)};`)
      continue
    }
    if (online && !before.notNull && after.notNull && to.tables.get(table) !== 'p') {
      // SET NOT NULL scans the table under ACCESS EXCLUSIVE, unless a validated check
      // already proves it: the check is added NOT VALID here, validated (writes go on),
      // then SET NOT NULL is instant and the check goes.
      const check = sqlIdent(`${memberOf(table)}_${memberOf(key)}_nn`.slice(0, 63))
      plan.tables.push(...alterColumn(alter, column, before, { ...after, notNull: false }, byHand))
      plan.additions.push(`${alter} ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;`)
      plan.online.push(
        `${alter} VALIDATE CONSTRAINT ${check};`,
        `${alter} ALTER COLUMN ${column} SET NOT NULL;`,
        `${alter} DROP CONSTRAINT ${check};`,
      )
      continue
    }
    plan.tables.push(...alterColumn(alter, column, before, after, byHand))
  }
  for (const table of new Set([...from.columns.keys()].map(tableOf))) {
    if (!inBoth(table)) continue
    for (const [key] of columnsOf(from, table))
      if (!to.columns.has(key))
        plan.removals.push(`ALTER TABLE ${relationName(table)} DROP COLUMN ${sqlIdent(memberOf(key))};`)
  }
}

function alterColumn(
  alter: string,
  column: string,
  before: ColumnFacts,
  after: ColumnFacts,
  byHand: string[],
): string[] {
  const statements: string[] = []
  if (before.generated !== after.generated || (after.generated !== '' && before.default !== after.default)) {
    if (after.generated === '' && before.generated === 's')
      statements.push(`${alter} ALTER COLUMN ${column} DROP EXPRESSION;`)
    else {
      byHand.push(
        `${alter.slice('ALTER TABLE '.length)}.${column}: ${after.generated === '' ? 'no longer generated' : `generated as ${after.default}`}; a generated column's expression cannot be altered: add a new column and drop the old one`,
      )
      return statements
    }
  }
  if (before.type !== after.type || before.collation !== after.collation)
    statements.push(
      `${alter} ALTER COLUMN ${column} TYPE ${after.type}${after.collation === null ? '' : ` COLLATE ${sqlIdent(after.collation)}`} USING ${column}::${after.type};`,
    )
  if (before.identity !== after.identity) {
    if (after.identity === '') statements.push(`${alter} ALTER COLUMN ${column} DROP IDENTITY;`)
    else if (before.identity === '')
      statements.push(
        `${alter} ALTER COLUMN ${column} ADD GENERATED ${after.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY;`,
      )
    else
      statements.push(
        `${alter} ALTER COLUMN ${column} SET GENERATED ${after.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'};`,
      )
  }
  if (after.generated === '' && before.generated === '' && before.default !== after.default)
    statements.push(
      after.default === null
        ? `${alter} ALTER COLUMN ${column} DROP DEFAULT;`
        : `${alter} ALTER COLUMN ${column} SET DEFAULT ${after.default};`,
    )
  if (before.notNull !== after.notNull)
    statements.push(`${alter} ALTER COLUMN ${column} ${after.notNull ? 'SET' : 'DROP'} NOT NULL;`)
  return statements
}

function routineChanges(from: CatalogSnapshot, to: CatalogSnapshot, plan: ChangePlan): void {
  for (const [key, routine] of to.routines)
    if (from.routines.get(key)?.definition !== routine.definition)
      plan.routines.push(`${routine.definition};`)
  for (const [key, routine] of from.routines)
    if (!to.routines.has(key)) plan.lastly.push(`DROP ${routine.kind.toUpperCase()} ${routineName(key)};`)
}

/** A changed view is dropped and made again: CREATE OR REPLACE cannot remove or retype its columns. */
function viewChanges(from: CatalogSnapshot, to: CatalogSnapshot, plan: ChangePlan): void {
  const kind = (snapshot: CatalogSnapshot, key: string) =>
    snapshot.tables.get(key) === 'm' ? 'MATERIALIZED VIEW' : 'VIEW'
  const remade = (key: string) =>
    from.views.get(key) !== to.views.get(key) || kind(from, key) !== kind(to, key)
  for (const key of from.views.keys())
    if (remade(key)) plan.dropsFirst.unshift(`DROP ${kind(from, key)} ${relationName(key)};`)
  for (const [key, definition] of to.views)
    if (remade(key))
      plan.late.push(`CREATE ${kind(to, key)} ${relationName(key)} AS\n${definition.replace(/;\s*$/, '')};`)

  // A materialized view's indexes: with it when it is made again, else one by one.
  const viewOf = (key: string, table: string) => `${key.slice(0, key.indexOf('.'))}.${table}`
  for (const [key, index] of from.indexes) {
    const view = viewOf(key, index.table)
    if (from.tables.get(view) !== 'm' || remade(view)) continue
    if (to.indexes.get(key)?.definition !== index.definition)
      plan.dropsFirst.push(`DROP INDEX ${relationName(key)};`)
  }
  for (const [key, index] of to.indexes) {
    const view = viewOf(key, index.table)
    if (to.tables.get(view) !== 'm') continue
    if (remade(view) || from.indexes.get(key)?.definition !== index.definition)
      plan.late.push(`${index.definition};`)
  }
}

/** Triggers and policies: dropped first when gone or changed, made last when new or changed. */
function memberChanges(
  from: ReadonlyMap<string, string>,
  to: ReadonlyMap<string, string>,
  kept: (table: string) => boolean,
  plan: ChangePlan,
  sql: { drop: (key: string) => string; create: (key: string, definition: string) => string },
): void {
  for (const [key, definition] of from)
    if (kept(tableOf(key)) && to.get(key) !== definition) plan.dropsFirst.push(sql.drop(key))
  for (const [key, definition] of to)
    if (kept(tableOf(key)) && from.get(key) !== definition) plan.late.push(sql.create(key, definition))
}

function commentChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  kept: (table: string) => boolean,
): void {
  const noun = (table: string) =>
    ({ v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE' })[to.tables.get(table) ?? 'r'] ?? 'TABLE'
  const present = (table: string) => kept(table) || (to.tables.has(table) && to.tables.get(table) !== 'r')
  for (const table of new Set([...from.tableComments.keys(), ...to.tableComments.keys()])) {
    const comment = to.tableComments.get(table)
    if (present(table) && comment !== from.tableComments.get(table))
      plan.late.push(
        `COMMENT ON ${noun(table)} ${relationName(table)} IS ${comment === undefined ? 'NULL' : quoteLiteral(comment)};`,
      )
  }
  for (const column of new Set([...from.columnComments.keys(), ...to.columnComments.keys()])) {
    const comment = to.columnComments.get(column)
    if (kept(tableOf(column)) && to.columns.has(column) && comment !== from.columnComments.get(column))
      plan.late.push(
        `COMMENT ON COLUMN ${relationName(tableOf(column))}.${sqlIdent(memberOf(column))} IS ${comment === undefined ? 'NULL' : quoteLiteral(comment)};`,
      )
  }
}
