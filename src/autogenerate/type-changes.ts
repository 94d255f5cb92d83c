import { quoteLiteral } from '../db/quote.js'
import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { escapeRegex } from '../util/wildcard.js'
import type { ChangePlan } from './change-plan.js'
import { relationName } from './object-names.js'

// Enum, domain and composite types: what `schemaChanges` writes for them.

export function enumChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  byHand: string[],
): void {
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
      plan.enumValues.push({
        statement: `ALTER TYPE ${relationName(key)} ADD VALUE ${quoteLiteral(value)}${position};`,
        literal: `${quoteLiteral(value)}::${relationName(key)}`,
      })
    })
  }
  for (const key of from.enums.keys())
    if (!to.enums.has(key)) plan.typeRemovals.push(`DROP TYPE ${relationName(key)};`)
}

/** Domains and composite types: made and dropped whole; a changed one is for a person (ALTER DOMAIN, ALTER TYPE). */
export function typeChanges(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  plan: ChangePlan,
  byHand: string[],
): void {
  const create = (kind: 'domain' | 'composite') => (kind === 'domain' ? 'DOMAIN' : 'TYPE')
  const late = domainsAfterRoutines(from, to)
  for (const [key, type] of to.types) {
    const before = from.types.get(key)
    if (before === undefined)
      (late.has(key) ? plan.lateTypes : plan.types).push(
        `CREATE ${create(type.kind)} ${relationName(key)} ${type.definition};`,
      )
    else if (before.definition !== type.definition || before.kind !== type.kind)
      byHand.push(
        `type ${relationName(key)}: ${before.kind} ${before.definition} becomes ${type.kind} ${type.definition}; write the ALTER ${create(type.kind)} by hand`,
      )
  }
  // Before the enums they may be over, newest first.
  for (const [key, type] of from.types)
    if (!to.types.has(key)) plan.typeRemovals.unshift(`DROP ${create(type.kind)} ${relationName(key)};`)
}

/** New domains whose checks call a function new here: made after the functions (`plan.lateTypes`). */
export function domainsAfterRoutines(from: CatalogSnapshot, to: CatalogSnapshot): ReadonlySet<string> {
  const newRoutines = [...to.routines.keys()]
    .filter((key) => !from.routines.has(key))
    .map((key) => key.slice(key.indexOf('.') + 1, key.indexOf('(')))
  const callsNewRoutine = (definition: string) =>
    newRoutines.some((name) => new RegExp(`(^|[^\\w$."])"?${escapeRegex(name)}"?\\(`).test(definition))
  return new Set(
    [...to.types]
      .filter(
        ([key, type]) => !from.types.has(key) && type.kind === 'domain' && callsNewRoutine(type.definition),
      )
      .map(([key]) => key),
  )
}
