import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { routineName } from './object-names.js'

// PL/pgSQL compiles a trigger function once per session against the column types of the
// table's NEW and OLD: after ALTER COLUMN ... TYPE, every application session that ran
// it fails each write ("type of parameter N ... does not match that when preparing the
// plan") until it reconnects. A function whose catalog row changes is compiled again, so
// the generated migration touches each one the retyped tables fire, as op.alterColumn
// does online (src/ops/recipes/trigger-functions.ts).

/**
 * `ALTER FUNCTION f() COST n` (its own cost) for each PL/pgSQL function that a trigger of
 * a retyped table calls, where the function stands unchanged on both sides (one made
 * again by the migration is compiled anew anyway).
 */
export function triggerRecompiles(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  retypedTables: ReadonlySet<string>,
): string[] {
  const functions = new Set<string>()
  for (const [key, definition] of from.triggers) {
    const table = key.slice(0, key.lastIndexOf('.'))
    if (!retypedTables.has(table) || to.triggers.get(key) === undefined) continue
    const called = /\bEXECUTE (?:FUNCTION|PROCEDURE) (.+)\(\)$/.exec(definition)?.[1]
    if (called === undefined) continue
    const routine = routineKeys(called, table.slice(0, table.indexOf('.'))).find((candidate) =>
      from.routines.has(candidate),
    )
    const before = routine === undefined ? undefined : from.routines.get(routine)
    if (
      routine === undefined ||
      before === undefined ||
      to.routines.get(routine)?.definition !== before.definition
    )
      continue
    if (/\bLANGUAGE plpgsql\b/i.test(before.definition)) functions.add(routine)
  }
  return [...functions].sort().map((routine) => {
    const cost = /\n\s*COST (\S+)/.exec(from.routines.get(routine)!.definition)?.[1] ?? '100'
    return `ALTER FUNCTION ${routineName(routine)} COST ${cost};`
  })
}

/** Where a function a trigger definition names may be: as qualified, else in the table's schema or public. */
function routineKeys(called: string, tableSchema: string): string[] {
  const parts = (called.match(/"(?:[^"]|"")*"|[^.]+/g) ?? []).map((part) =>
    part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part,
  )
  if (parts.length === 2) return [`${parts[0]}.${parts[1]}()`]
  return parts.length === 1 ? [`${tableSchema}.${parts[0]}()`, `public.${parts[0]}()`] : []
}
