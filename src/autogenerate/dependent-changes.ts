import { quoteLiteral, sqlIdent } from '../db/quote.js'
import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import type { ChangePlan } from './change-plan.js'
import { memberOf, relationName, routineName, tableOf } from './object-names.js'
import { readBeforeReaders, viewsRemade } from './remade-objects.js'
import { domainsAfterRoutines } from './type-changes.js'

// Functions, views, triggers, policies and comments: what `schemaChanges` writes for them.

/**
 * New and changed routines: before the tables where they need no relation the script
 * makes (a column's default may call them), with bodies left unchecked until then as
 * pg_dump does (a SQL function's body may read a table made after it); after the
 * tables where their arguments or result are a new table's row type, or a domain made
 * after the functions its check calls.
 */
export function routineChanges(from: CatalogSnapshot, to: CatalogSnapshot, plan: ChangePlan): void {
  const lateTypes = domainsAfterRoutines(from, to)
  const comesAfterTables = (key: string) =>
    [...(to.columnReaders.get(key) ?? [])].some((read) => {
      const object = tableOf(read)
      return lateTypes.has(object) || from.tables.get(object) !== to.tables.get(object)
    })
  for (const [key, routine] of to.routines) {
    if (from.routines.get(key)?.definition === routine.definition) continue
    if (comesAfterTables(key)) plan.routines.push(`${routine.definition};`)
    else {
      if (plan.earlyRoutines.length === 0) plan.earlyRoutines.push('SET LOCAL check_function_bodies = off;')
      plan.earlyRoutines.push(`${routine.definition};`)
    }
  }
  for (const [key, routine] of from.routines)
    if (!to.routines.has(key)) plan.lastly.push(`DROP ${routine.kind.toUpperCase()} ${routineName(key)};`)
}

/**
 * A changed view is dropped and made again (CREATE OR REPLACE cannot remove or retype
 * its columns), and so is one that reads a column dropped or retyped, or such a view:
 * dropped readers first, made again after what they read.
 */
export function viewChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  /** Columns dropped or retyped, and generated columns added again (`RemadeColumns.takenAway`). */
  takenAway: ReadonlySet<string>,
): void {
  const kind = (snapshot: CatalogSnapshot, key: string) =>
    snapshot.tables.get(key) === 'm' ? 'MATERIALIZED VIEW' : 'VIEW'
  const remadeViews = viewsRemade(from, to, takenAway)
  const remade = (key: string) => remadeViews.has(key)
  const dropped = readBeforeReaders([...from.views.keys()].filter(remade), from).reverse()
  plan.dropsFirst.unshift(...dropped.map((key) => `DROP ${kind(from, key)} ${relationName(key)};`))
  for (const key of readBeforeReaders([...to.views.keys()].filter(remade), to))
    plan.late.push(
      `CREATE ${kind(to, key)} ${relationName(key)} AS\n${to.views.get(key)!.replace(/;\s*$/, '')};`,
    )

  // A materialized view's indexes: with it when it is made again, else one by one.
  for (const [key, index] of from.indexes) {
    const view = index.table
    if (from.tables.get(view) !== 'm' || remade(view)) continue
    if (to.indexes.get(key)?.definition !== index.definition)
      plan.dropsFirst.push(`DROP INDEX ${relationName(key)};`)
  }
  for (const [key, index] of to.indexes) {
    const view = index.table
    if (to.tables.get(view) !== 'm') continue
    if (remade(view) || from.indexes.get(key)?.definition !== index.definition)
      plan.late.push(`${index.definition};`)
  }
}

/** Triggers and policies: dropped first when gone or changed, made last when new or changed. */
export function memberChanges(
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

export function commentChanges(
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
