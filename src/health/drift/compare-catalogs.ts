import type { CatalogSnapshot, ColumnFacts } from './catalog-snapshot.js'
import { routineDifferences } from './compare-routines.js'
import { type ComparedSides, displayName } from './compared-sides.js'

export type { ComparedSides } from './compared-sides.js'

/** The differences between the live database and the one its migrations build. */
export interface CatalogDrift {
  /** One sentence per difference: "users.age: integer in the database, bigint in the migrations". */
  readonly differences: readonly string[]
  /** Definitions of indexes the migrations create that the database lacks (for the index check). */
  readonly missingIndexes: readonly string[]
}

const RELATION_KIND: Readonly<Record<string, string>> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
}

/** The drift check's sides: the live database against the one its migrations build. */
export const DRIFT_SIDES: ComparedSides = {
  live: 'in the database',
  expected: 'in the migrations',
  missing: 'created by the migrations, missing from the database',
  extra: 'in the database, not created by the migrations',
}

/**
 * Compares `live` (the database) with `expected` (a scratch database built from the
 * migrations at the same revision). Objects of tables missing on one side are reported
 * once, as the table, not column by column.
 */
export function compareCatalogs(
  live: CatalogSnapshot,
  expected: CatalogSnapshot,
  sides: ComparedSides = DRIFT_SIDES,
): CatalogDrift {
  const differences: string[] = []
  const inBoth = (key: string) => live.tables.has(key) && expected.tables.has(key)
  const tableOf = (key: string) => key.slice(0, key.lastIndexOf('.'))

  for (const [key, kind] of expected.tables) {
    const liveKind = live.tables.get(key)
    if (liveKind === undefined)
      differences.push(`${RELATION_KIND[kind]} ${displayName(key)}: ${sides.missing}`)
    else if (liveKind !== kind)
      differences.push(
        `${displayName(key)}: a ${RELATION_KIND[liveKind]} ${sides.live}, a ${RELATION_KIND[kind]} ${sides.expected}`,
      )
  }
  for (const [key, kind] of live.tables) {
    if (!expected.tables.has(key))
      differences.push(`${RELATION_KIND[kind]} ${displayName(key)}: ${sides.extra}`)
  }

  for (const [key, want] of expected.columns) {
    if (!inBoth(tableOf(key))) continue
    const have = live.columns.get(key)
    if (have === undefined) differences.push(`${displayName(key)}: column ${sides.missing}`)
    else differences.push(...columnDifferences(displayName(key), have, want, sides))
  }
  for (const key of live.columns.keys()) {
    if (inBoth(tableOf(key)) && !expected.columns.has(key))
      differences.push(`${displayName(key)}: column ${sides.extra}`)
  }

  const missingIndexes: string[] = []
  for (const [key, want] of expected.indexes) {
    const have = live.indexes.get(key)
    if (!inBoth(want.table)) continue
    if (have === undefined) missingIndexes.push(want.definition)
    else if (have.definition !== want.definition)
      differences.push(
        `index ${displayName(key)}: "${have.definition}" ${sides.live}, "${want.definition}" ${sides.expected}`,
      )
  }
  for (const [key, have] of live.indexes) {
    if (inBoth(have.table) && !expected.indexes.has(key))
      differences.push(`index ${displayName(key)}: ${sides.extra} (${have.definition})`)
  }

  compareNamed(differences, sides, 'constraint', live.constraints, expected.constraints, (key) =>
    inBoth(tableOf(key)),
  )
  compareNamed(differences, sides, 'sequence', live.sequences, expected.sequences)
  compareNamed(differences, sides, 'view', live.views, expected.views, inBoth)
  compareNamed(differences, sides, 'enum', joinLabels(live.enums), joinLabels(expected.enums))
  compareNamed(differences, sides, 'type', typeDefinitions(live), typeDefinitions(expected))
  compareNamed(differences, sides, 'partition key of', live.partitionKeys, expected.partitionKeys, inBoth)
  compareNamed(differences, sides, 'partition', partitionBounds(live), partitionBounds(expected), inBoth)
  differences.push(...routineDifferences(live.routines, expected.routines, sides))
  compareNamed(differences, sides, 'trigger', live.triggers, expected.triggers, (key) => inBoth(tableOf(key)))
  compareNamed(differences, sides, 'policy', live.policies, expected.policies, (key) => inBoth(tableOf(key)))
  compareNamed(
    differences,
    sides,
    'comment on',
    quoted(live.tableComments),
    quoted(expected.tableComments),
    inBoth,
  )
  compareNamed(
    differences,
    sides,
    'comment on',
    quoted(live.columnComments),
    quoted(expected.columnComments),
    (key) => inBoth(tableOf(key)),
  )
  for (const key of new Set([...live.rowSecurity.keys(), ...expected.rowSecurity.keys()])) {
    const have = live.rowSecurity.get(key) ?? 'disabled'
    const want = expected.rowSecurity.get(key) ?? 'disabled'
    if (inBoth(key) && have !== want)
      differences.push(
        `${displayName(key)}: row-level security ${have} ${sides.live}, ${want} ${sides.expected}`,
      )
  }

  return { differences, missingIndexes }
}

function columnDifferences(
  name: string,
  have: ColumnFacts,
  want: ColumnFacts,
  sides: ComparedSides,
): string[] {
  const found: string[] = []
  if (have.type !== want.type)
    found.push(`${name}: ${have.type} ${sides.live}, ${want.type} ${sides.expected}`)
  if (have.notNull !== want.notNull) {
    const nullability = (notNull: boolean) => (notNull ? 'NOT NULL' : 'nullable')
    found.push(
      `${name}: ${nullability(have.notNull)} ${sides.live}, ${nullability(want.notNull)} ${sides.expected}`,
    )
  }
  if (have.default !== want.default)
    found.push(
      `${name}: default ${have.default ?? 'none'} ${sides.live}, ${want.default ?? 'none'} ${sides.expected}`,
    )
  if (have.identity !== want.identity) {
    const identity = (code: string) =>
      code === 'a'
        ? 'GENERATED ALWAYS AS IDENTITY'
        : code === 'd'
          ? 'GENERATED BY DEFAULT AS IDENTITY'
          : 'no identity'
    found.push(
      `${name}: ${identity(have.identity)} ${sides.live}, ${identity(want.identity)} ${sides.expected}`,
    )
  }
  if (have.generated !== want.generated)
    found.push(
      `${name}: ${have.generated ? 'generated' : 'not generated'} ${sides.live}, ${want.generated ? 'generated' : 'not generated'} ${sides.expected}`,
    )
  if (have.collation !== want.collation)
    found.push(
      `${name}: collation ${have.collation ?? 'default'} ${sides.live}, ${want.collation ?? 'default'} ${sides.expected}`,
    )
  return found
}

function compareNamed(
  differences: string[],
  sides: ComparedSides,
  noun: string,
  live: ReadonlyMap<string, string>,
  expected: ReadonlyMap<string, string>,
  relevant: (key: string) => boolean = () => true,
): void {
  for (const [key, want] of expected) {
    if (!relevant(key)) continue
    const have = live.get(key)
    if (have === undefined) differences.push(`${noun} ${displayName(key)}: ${sides.missing}`)
    else if (have !== want)
      differences.push(`${noun} ${displayName(key)}: ${have} ${sides.live}, ${want} ${sides.expected}`)
  }
  for (const [key, have] of live) {
    if (relevant(key) && !expected.has(key))
      differences.push(`${noun} ${displayName(key)}: ${sides.extra} (${have})`)
  }
}

/** "domain email AS text CHECK (...)" keyed by type, so the kind shows in the sentence. */
function typeDefinitions(snapshot: CatalogSnapshot): Map<string, string> {
  return new Map([...snapshot.types].map(([key, type]) => [key, `${type.kind} ${type.definition}`]))
}

/** "of events FOR VALUES FROM (0) TO (10)" keyed by partition. */
function partitionBounds(snapshot: CatalogSnapshot): Map<string, string> {
  return new Map(
    [...snapshot.partitions].map(([key, partition]) => [
      key,
      `of ${displayName(partition.parent)} ${partition.bound}`,
    ]),
  )
}

function quoted(comments: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...comments].map(([key, text]) => [key, `'${text}'`]))
}

function joinLabels(enums: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  return new Map(
    [...enums].map(([key, labels]) => [key, `(${labels.map((label) => `'${label}'`).join(', ')})`]),
  )
}

/**
 * Every difference as one line, an index `expected` has and `now` lacks included (the
 * drift check reports those under the index check instead): for comparisons of a
 * scratch database with itself or another (rehearsals, generated migrations).
 */
export function everyDifference(
  now: CatalogSnapshot,
  expected: CatalogSnapshot,
  sides: ComparedSides,
): string[] {
  const { differences, missingIndexes } = compareCatalogs(now, expected, sides)
  return [...differences, ...missingIndexes.map((definition) => `${definition}: ${sides.missing}`)]
}
