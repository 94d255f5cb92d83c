import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { tableOf } from './object-names.js'

// What a change script must take down and put back although it did not change: views
// and stored generated columns that read a column the script drops or retypes.
// PostgreSQL refuses to retype or drop a column something reads ("cannot alter type of
// a column used by a view or rule", "... used by a generated column").

/** Columns of `from` (`schema.table.column`) that the script takes away, and why. */
export interface RemadeColumns {
  /** Kept stored generated columns, unchanged, that read a column dropped or retyped: dropped and added again. */
  readonly regenerated: ReadonlySet<string>
  /** The columns dropped or retyped, and the regenerated ones: what a view must not read while they go. */
  readonly takenAway: ReadonlySet<string>
}

export function remadeColumns(from: CatalogSnapshot, to: CatalogSnapshot): RemadeColumns {
  const taken = droppedOrRetyped(from, to)
  const regenerated = new Set(regeneratedColumns(from, to, taken))
  return { regenerated, takenAway: new Set([...taken, ...regenerated]) }
}

function regeneratedColumns(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  taken: ReadonlySet<string>,
): string[] {
  return [...from.columns].flatMap(([key, before]) => {
    const after = to.columns.get(key)
    const same =
      after !== undefined &&
      !taken.has(key) &&
      after.generated === before.generated &&
      after.default === before.default
    const reads = [...(from.columnReaders.get(key) ?? [])]
    return before.generated !== '' && same && reads.some((column) => taken.has(column)) ? [key] : []
  })
}

function droppedOrRetyped(from: CatalogSnapshot, to: CatalogSnapshot): Set<string> {
  const taken = new Set<string>()
  for (const [key, before] of from.columns) {
    const after = to.columns.get(key)
    if (after === undefined || after.type !== before.type || after.collation !== before.collation)
      taken.add(key)
  }
  return taken
}

/**
 * Views (`schema.view`) dropped and made again: those whose definition or kind changed,
 * those gone or new, and those that read a column taken away (`RemadeColumns.takenAway`)
 * or a view remade.
 */
export function viewsRemade(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  taken: ReadonlySet<string>,
): ReadonlySet<string> {
  const kind = (snapshot: CatalogSnapshot, key: string) => snapshot.tables.get(key)
  const remade = new Set(
    [...new Set([...from.views.keys(), ...to.views.keys()])].filter(
      (key) => from.views.get(key) !== to.views.get(key) || kind(from, key) !== kind(to, key),
    ),
  )
  const readsGone = (view: string) =>
    [...(from.columnReaders.get(view) ?? [])].some(
      (column) => taken.has(column) || remade.has(tableOf(column)),
    )
  for (let grew = true; grew; ) {
    grew = false
    for (const view of from.views.keys())
      if (!remade.has(view) && readsGone(view)) {
        remade.add(view)
        grew = true
      }
  }
  return remade
}

/** `views` ordered so that each comes after the views it reads in `snapshot`: the order to create them; reversed, to drop them. */
export function readBeforeReaders(views: Iterable<string>, snapshot: CatalogSnapshot): string[] {
  const wanted = new Set(views)
  const ordered: string[] = []
  const placed = new Set<string>()
  const place = (view: string, path: Set<string>) => {
    if (placed.has(view) || path.has(view)) return
    path.add(view)
    for (const column of snapshot.columnReaders.get(view) ?? []) {
      const read = tableOf(column)
      if (wanted.has(read)) place(read, path)
    }
    placed.add(view)
    ordered.push(view)
  }
  for (const view of wanted) place(view, new Set())
  return ordered
}
