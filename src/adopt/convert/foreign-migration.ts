/** The migration tools whose migrations `strata convert` reads (TypeORM's, Knex's and node-pg-migrate's code rendered). */
export const FOREIGN_TOOLS = [
  'prisma',
  'dbmate',
  'golang-migrate',
  'flyway',
  'typeorm',
  'knex',
  'node-pg-migrate',
] as const
export type ForeignTool = (typeof FOREIGN_TOOLS)[number]

/** One migration of another tool, as that tool orders, runs and records it. */
export interface ForeignMigration {
  /** The tool's version (a timestamp, a number, Flyway's `1.2`): what orders the migrations. */
  readonly version: string
  /** Its title, from the file or directory name. */
  readonly title: string
  /** How the tool's bookkeeping table names it once applied. */
  readonly appliedKey: string
  readonly up: string
  /** Undefined when the tool keeps no way back (Prisma, a dbmate file without a down section). */
  readonly down: string | undefined
  /** False when the tool ran it outside a transaction (dbmate's `transaction:false`). */
  readonly transactional: boolean
  /** The file it came from, relative to the directory read. */
  readonly source: string
  /** A migration built in code (node-pg-migrate's): each call's SQL and the line of the call. */
  readonly steps?: readonly { readonly sql: string; readonly line: number | undefined }[]
}

/** A migration that cannot become SQL, why, and (when the fix is in the file) how to fix it. */
export interface Unconvertible {
  readonly file: string
  readonly reason: string
  readonly hint?: string
}

/** What a tool's directory holds: the migrations Strata can run, and the files it cannot. */
export interface ForeignMigrationSet {
  readonly tool: ForeignTool
  readonly migrations: readonly ForeignMigration[]
  /** Migrations that cannot become SQL (node-pg-migrate code that reads the database): the chain would break, so nothing is converted. */
  readonly unconvertible: readonly Unconvertible[]
  /** Files that are no step of the chain and are left as they are (Flyway's repeatable scripts). */
  readonly leftOut: readonly { readonly file: string; readonly reason: string }[]
  /**
   * How the tool orders its migrations: by version, numerically (golang-migrate, Flyway,
   * dbmate, node-pg-migrate), or by directory name as text (Prisma: `10_a` before `9_b`).
   */
  readonly order: 'version' | 'name'
}

/**
 * Orders versions as the tools do: numerically part by part (`2` before `10`, Flyway's
 * `1.2` before `1.10`), with BigInt since timestamps run to 14 digits and beyond.
 */
export function compareVersions(a: string, b: string): number {
  const left = a.split(/[._]/)
  const right = b.split(/[._]/)
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index]
    const y = right[index]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const difference =
      /^\d+$/.test(x) && /^\d+$/.test(y) ? BigInt(x) - BigInt(y) : x < y ? -1n : x > y ? 1n : 0n
    if (difference !== 0n) return difference < 0n ? -1 : 1
  }
  return 0
}
