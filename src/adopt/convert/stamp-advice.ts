import type { AppliedByTool } from './applied-migrations.js'
import type { Conversion } from './convert-migrations.js'
import { compareVersions } from './foreign-migration.js'

/** Where the other tool left a database, in converted revisions. */
export interface StampAdvice {
  /** The bookkeeping table read. */
  readonly table: string
  readonly applied: number
  /** The revision to stamp: the last one the tool applied, when everything before it was applied too. */
  readonly stamp: string | undefined
  /** Revisions the tool has not applied, after the stamp: `strata upgrade head` runs them. */
  readonly pending: readonly string[]
  /** Revisions not applied though a later one was (out-of-order runs): stamping would skip them. */
  readonly gaps: readonly string[]
  /** Entries of the table that no converted file has. */
  readonly unknown: readonly string[]
  readonly problems: readonly string[]
}

export function stampAdvice(conversion: Conversion, applied: AppliedByTool): StampAdvice {
  const { migrations } = conversion
  const keys = new Set(applied.keys)
  const isApplied = applied.upTo
    ? (index: number) => applied.keys.some((key) => compareVersions(migrations[index]!.version, key) <= 0)
    : (index: number) => keys.has(migrations[index]!.appliedKey)
  let last = -1
  for (let index = 0; index < migrations.length; index++) if (isApplied(index)) last = index
  const gaps = migrations.slice(0, last + 1).filter((_, index) => !isApplied(index))
  const known = new Set(
    migrations.map((migration) => (applied.upTo ? migration.version : migration.appliedKey)),
  )
  return {
    table: applied.table,
    applied: migrations.filter((_, index) => isApplied(index)).length,
    stamp:
      last >= 0 && gaps.length === 0 && applied.problems.length === 0
        ? migrations[last]!.revision
        : undefined,
    pending: migrations.slice(last + 1).map((migration) => migration.revision),
    gaps: gaps.map((migration) => `${migration.revision} (${migration.source})`),
    unknown: applied.keys.filter((key) => !known.has(key)),
    problems: applied.problems,
  }
}
