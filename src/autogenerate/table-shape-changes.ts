import { sqlIdent } from '../db/quote.js'
import type { CatalogSnapshot, ColumnFacts } from '../health/drift/catalog-snapshot.js'
import type { ChangePlan } from './change-plan.js'
import { handoverStatements, type SequenceHandover } from './identity-conversions.js'
import { memberOf, relationName, tableOf } from './object-names.js'
import { columnDefinition, columnsOf, sequenceOptions } from './table-ddl.js'
import { triggerRecompiles } from './trigger-recompiles.js'

// Sequences, columns and partitioning of tables: what `schemaChanges` writes for them.

/** A table that becomes or stops being a partition, or whose key or bound changes: ATTACH / DETACH by hand. */
export function partitioningChanges(
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

/**
 * Free-standing sequences, and those a serial column owns: created before the table that
 * uses them and given to their column after it; dropped with their table or column
 * (an identity's sequence comes and goes with its column and is never written).
 */
export function sequenceChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  tables: { created: (t: string) => boolean; dropped: (t: string) => boolean; kept: (t: string) => boolean },
  handovers: readonly SequenceHandover[],
): void {
  // A column going between serial and identity: its sequences are the handover's.
  const handedOver = new Set(handovers.flatMap((handover) => [handover.old, handover.new]))
  for (const [key, text] of to.sequences) {
    const owner = to.sequenceOwners.get(key)
    if (owner?.identity || handedOver.has(key)) continue
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
    if (to.sequences.has(key) || handedOver.has(key)) continue
    const owner = from.sequenceOwners.get(key)
    if (owner?.identity) continue
    // Gone with its table, or with its column (DROP COLUMN drops the sequence it owns).
    if (owner !== undefined && (tables.dropped(tableOf(owner.column)) || !to.columns.has(owner.column)))
      continue
    plan.typeRemovals.push(`DROP SEQUENCE ${relationName(key)};`)
  }
}

export function columnChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  byHand: string[],
  inBoth: (table: string) => boolean,
  online: boolean,
  handovers: readonly SequenceHandover[],
  /** Generated columns dropped and added again (`RemadeColumns.regenerated`). */
  regenerated: ReadonlySet<string>,
): void {
  const retyped = new Set<string>()
  for (const [key, after] of to.columns) {
    const table = tableOf(key)
    if (!inBoth(table) || regenerated.has(key)) continue
    const alter = `ALTER TABLE ${relationName(table)}`
    const column = sqlIdent(memberOf(key))
    const before = from.columns.get(key)
    if (before === undefined) {
      plan.tables.push(`${alter} ADD COLUMN ${columnDefinition(memberOf(key), after)};`)
      continue
    }
    if (before.type !== after.type) retyped.add(table)
    if (online && !before.notNull && after.notNull && to.tables.get(table) !== 'p') {
      // SET NOT NULL scans the table under ACCESS EXCLUSIVE, unless a validated check
      // already proves it: the check is added NOT VALID, validated (writes go on), then
      // SET NOT NULL is instant and the check goes. All in the online migration, which an
      // interruption makes run again from its start: each run adds the check anew, so
      // the VALIDATE never meets a check an earlier run has already dropped.
      const check = sqlIdent(`${memberOf(table)}_${memberOf(key)}_nn`.slice(0, 63))
      alterColumn(alter, column, before, { ...after, notNull: false }, byHand, plan)
      plan.online.push(
        `${alter} DROP CONSTRAINT IF EXISTS ${check}, ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;`,
        `${alter} VALIDATE CONSTRAINT ${check};`,
        `${alter} ALTER COLUMN ${column} SET NOT NULL;`,
        `${alter} DROP CONSTRAINT IF EXISTS ${check};`,
      )
      continue
    }
    const handover = handovers.find((candidate) => candidate.column === key)
    if (handover === undefined) alterColumn(alter, column, before, after, byHand, plan)
    else {
      // The identity changes with the sequences, after the old default goes.
      alterColumn(alter, column, before, { ...after, identity: before.identity }, byHand, plan)
      plan.tables.push(...handoverStatements(handover, to))
    }
  }
  plan.tables.push(...triggerRecompiles(from, to, retyped))
  // Put back after the columns they read are retyped; made with any function they call.
  for (const key of regenerated) {
    if (!inBoth(tableOf(key))) continue
    const alter = `ALTER TABLE ${relationName(tableOf(key))}`
    plan.columnRemovals.push(`${alter} DROP COLUMN ${sqlIdent(memberOf(key))};`)
    plan.additions.push(`${alter} ADD COLUMN ${columnDefinition(memberOf(key), to.columns.get(key)!)};`)
  }
  for (const table of new Set([...from.columns.keys()].map(tableOf))) {
    if (!inBoth(table)) continue
    // A generated column before the columns it reads (PostgreSQL refuses them while it stands).
    const generatedFirst = columnsOf(from, table).sort(
      ([, a], [, b]) => (b.generated !== '' ? 1 : 0) - (a.generated !== '' ? 1 : 0),
    )
    for (const [key] of generatedFirst)
      if (!to.columns.has(key))
        plan.columnRemovals.push(`ALTER TABLE ${relationName(table)} DROP COLUMN ${sqlIdent(memberOf(key))};`)
  }
}

/**
 * A kept column's changes, in `plan.tables` but for its new default: set after the
 * functions it may call are made (`plan.additions`), the old one dropped before a new
 * type or identity (PostgreSQL casts the old default to the new type, and fails where no
 * cast exists).
 */
function alterColumn(
  alter: string,
  column: string,
  before: ColumnFacts,
  after: ColumnFacts,
  byHand: string[],
  plan: ChangePlan,
): void {
  if (before.generated !== after.generated || (after.generated !== '' && before.default !== after.default)) {
    if (after.generated === '' && before.generated === 's')
      plan.tables.push(`${alter} ALTER COLUMN ${column} DROP EXPRESSION;`)
    else {
      byHand.push(
        `${alter.slice('ALTER TABLE '.length)}.${column}: ${after.generated === '' ? 'no longer generated' : `generated as ${after.default}`}; a generated column's expression cannot be altered: add a new column and drop the old one`,
      )
      return
    }
  }
  const retyped = before.type !== after.type || before.collation !== after.collation
  const newDefault = after.generated === '' && before.generated === '' && before.default !== after.default
  // Dropped first: before a new type (or identity) meets it.
  if (newDefault && before.default !== null && (retyped || after.default === null))
    plan.tables.push(`${alter} ALTER COLUMN ${column} DROP DEFAULT;`)
  if (retyped)
    plan.tables.push(
      `${alter} ALTER COLUMN ${column} TYPE ${after.type}${after.collation === null ? '' : ` COLLATE ${sqlIdent(after.collation)}`} USING ${column}::${after.type};`,
    )
  if (before.identity !== after.identity) {
    if (after.identity === '') plan.tables.push(`${alter} ALTER COLUMN ${column} DROP IDENTITY;`)
    else if (before.identity === '')
      plan.tables.push(
        `${alter} ALTER COLUMN ${column} ADD GENERATED ${after.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY;`,
      )
    else
      plan.tables.push(
        `${alter} ALTER COLUMN ${column} SET GENERATED ${after.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'};`,
      )
  }
  if (newDefault && after.default !== null)
    plan.additions.push(`${alter} ALTER COLUMN ${column} SET DEFAULT ${after.default};`)
  if (before.notNull !== after.notNull)
    plan.tables.push(`${alter} ALTER COLUMN ${column} ${after.notNull ? 'SET' : 'DROP'} NOT NULL;`)
}
