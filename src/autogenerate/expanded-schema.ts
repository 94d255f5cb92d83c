import { type CatalogSnapshot, type ColumnFacts, isTableKind } from '../health/drift/catalog-snapshot.js'
import { tableOf } from './object-names.js'

/**
 * The schema between the two deploy phases: the database as it is now (`live`), plus
 * everything of `built` (what the migrations make) that it no longer has and the
 * previous release may still read: tables with all that belongs to them, columns (made
 * nullable, so the new release can insert without them), views, functions, types,
 * sequences and schemas. Going from `built` to it only adds and changes (the expand
 * migration); going from it to `live` only drops (the contract migration, run once every
 * instance runs the new release). Indexes, constraints, triggers and policies that went
 * from kept tables are dropped while expanding: the previous release does not read them.
 */
export function expandedSchema(built: CatalogSnapshot, live: CatalogSnapshot): CatalogSnapshot {
  const isTable = (key: string) => isTableKind(built.tables.get(key))
  const goneTable = (key: string) => isTable(key) && !live.tables.has(key)
  const ofGoneTable = (key: string) => goneTable(tableOf(key))
  const goneColumn = (key: string) =>
    !live.columns.has(key) && !ofGoneTable(key) && live.tables.has(tableOf(key))
  const union = <V>(
    kept: ReadonlyMap<string, V>,
    gone: ReadonlyMap<string, V>,
    keep: (key: string) => boolean,
  ) => new Map([...kept, ...[...gone].filter(([key]) => !kept.has(key) && keep(key))])
  const always = () => true

  const columns = new Map<string, ColumnFacts>(live.columns)
  for (const [key, facts] of built.columns) {
    if (ofGoneTable(key)) columns.set(key, facts)
    else if (goneColumn(key)) columns.set(key, { ...facts, notNull: false })
  }
  return {
    schemas: new Set([...live.schemas, ...built.schemas]),
    tables: union(live.tables, built.tables, always),
    partitionKeys: union(live.partitionKeys, built.partitionKeys, goneTable),
    partitions: union(live.partitions, built.partitions, goneTable),
    inheritedIndexes: new Set([...live.inheritedIndexes, ...built.inheritedIndexes]),
    inheritedConstraints: new Set([...live.inheritedConstraints, ...built.inheritedConstraints]),
    columns,
    indexes: union(live.indexes, built.indexes, (key) => goneTable(built.indexes.get(key)!.table)),
    constraints: union(live.constraints, built.constraints, ofGoneTable),
    sequences: union(live.sequences, built.sequences, always),
    sequenceOwners: union(live.sequenceOwners, built.sequenceOwners, always),
    enums: union(live.enums, built.enums, always),
    types: union(live.types, built.types, always),
    views: union(live.views, built.views, always),
    columnReaders: union(live.columnReaders, built.columnReaders, always),
    routines: union(live.routines, built.routines, always),
    triggers: union(live.triggers, built.triggers, ofGoneTable),
    policies: union(live.policies, built.policies, ofGoneTable),
    rowSecurity: union(live.rowSecurity, built.rowSecurity, goneTable),
    tableComments: union(
      live.tableComments,
      built.tableComments,
      (key) => goneTable(key) || (built.views.has(key) && !live.views.has(key)),
    ),
    columnComments: union(
      live.columnComments,
      built.columnComments,
      (key) => ofGoneTable(key) || goneColumn(key),
    ),
    extensions: live.extensions,
  }
}
