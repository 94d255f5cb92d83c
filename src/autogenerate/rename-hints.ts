import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { memberOf, relationName } from './object-names.js'
import { columnsOf } from './table-ddl.js'

/**
 * Renames look like a drop and an add to a catalog comparison, and the generated SQL
 * drops the old column or table with its data. Where a table loses a column and gains
 * one of the same type (or a table goes and one with the same columns comes), this says
 * so, with the RENAME to use instead if that is what was meant. Nothing is guessed: the
 * SQL stays as the comparison found it.
 */
export function renameHints(from: CatalogSnapshot, to: CatalogSnapshot): string[] {
  const hints: string[] = []
  const isTable = (snapshot: CatalogSnapshot, key: string) => snapshot.tables.get(key) === 'r'
  for (const table of to.tables.keys()) {
    if (!isTable(from, table) || !isTable(to, table)) continue
    const gone = columnsOf(from, table).filter(([key]) => !to.columns.has(key))
    const added = columnsOf(to, table).filter(([key]) => !from.columns.has(key))
    for (const [oldKey, oldFacts] of gone) {
      const match = added.find(([, facts]) => facts.type === oldFacts.type)
      if (match === undefined) continue
      added.splice(added.indexOf(match), 1)
      const name = relationName(table)
      hints.push(
        `${name}.${memberOf(oldKey)} is dropped and ${name}.${memberOf(match[0])} added, both ${oldFacts.type}: if it was renamed, use ALTER TABLE ${name} RENAME COLUMN ${memberOf(oldKey)} TO ${memberOf(match[0])} instead, or the column's data is lost`,
      )
    }
  }
  const shape = (snapshot: CatalogSnapshot, table: string) =>
    columnsOf(snapshot, table)
      .map(([key, facts]) => `${memberOf(key)} ${facts.type}`)
      .join(', ')
  const createdTables = [...to.tables.keys()].filter((key) => isTable(to, key) && !isTable(from, key))
  for (const table of from.tables.keys()) {
    if (!isTable(from, table) || isTable(to, table)) continue
    const schemaOf = (key: string) => key.slice(0, key.indexOf('.'))
    const twin = createdTables.find(
      (other) => schemaOf(other) === schemaOf(table) && shape(to, other) === shape(from, table),
    )
    if (twin === undefined) continue
    createdTables.splice(createdTables.indexOf(twin), 1)
    hints.push(
      `table ${relationName(table)} is dropped and ${relationName(twin)} created with the same columns: if it was renamed, use ALTER TABLE ${relationName(table)} RENAME TO ${memberOf(twin)} instead, or its rows are lost`,
    )
  }
  return hints
}
