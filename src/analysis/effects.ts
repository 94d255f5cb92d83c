import { type LockMode, strongerLock } from './lock-modes.js'

/** The guide's four migration types, from least to most disruptive. */
export const CHANGE_CLASSES = ['additive', 'backward compatible', 'data transformation', 'breaking'] as const
export type ChangeClass = (typeof CHANGE_CLASSES)[number]

/** What a statement does to the schema or data, in the guide's terms. */
export interface Change {
  readonly class: ChangeClass
  /** "drops column users.old_column" */
  readonly text: string
}

export interface TableLock {
  readonly table: string
  readonly mode: LockMode
  /** False for tables created earlier in the same migration: nobody else can be waiting on them. */
  readonly existing: boolean
}

/** Work done while the lock is held, on one table. */
export interface TableWork {
  readonly table: string
  readonly why: string
  readonly existing: boolean
}

/** What one statement does: the locks it takes and the work it does while holding them. */
export interface StatementEffects {
  readonly locks: readonly TableLock[]
  readonly rewrites: readonly TableWork[]
  readonly scans: readonly TableWork[]
  readonly indexBuilds: readonly TableWork[]
  /** UPDATE / DELETE / INSERT … SELECT; `whole` when every row is touched in one statement. */
  readonly rowWrites: readonly { table: string; verb: string; whole: boolean; existing: boolean }[]
  readonly changes: readonly Change[]
  /** Data this statement destroys: "column users.old_column", "table sessions". */
  readonly destroys: readonly string[]
  /**
   * The same for tables and their columns, as names: what a backup must hold to undo
   * the statement (`strata downgrade` backs these up when they hold data).
   */
  readonly lostData: readonly LostData[]
  /** Schemas dropped with CASCADE: every table in them is lost (which, only the database knows). */
  readonly lostSchemas: readonly string[]
  /** Why this statement cannot be analysed (procedural code). */
  readonly unverifiable: string | undefined
  /** Facts worth showing: "metadata only (default stored once, PostgreSQL 11+)". */
  readonly notes: readonly string[]
  /**
   * CREATE INDEX or ADD FOREIGN KEY on a partitioned table: its partitions as far as known (the database's
   * in connected mode, and those the analysed SQL creates or attaches); undefined for
   * other statements and tables not known to be partitioned.
   */
  readonly partitions: readonly string[] | undefined
  /**
   * A rename that leaves the old name working, said why: half of a column swap inside one
   * transaction, or a table renamed with a view under its old name. Set by
   * `markCompatibleRenames` after the whole migration is analysed.
   */
  readonly compatibleRename: string | undefined
  /**
   * The constraints (parse-tree nodes) a partitioned table's ADD takes over from its
   * partitions instead of checking rows or building an index: the rules that would flag
   * the ADD see the last step of their own fix.
   */
  readonly adoptedConstraints: readonly object[]
}

/** A table, or one column of it, whose contents a statement destroys. */
export interface LostData {
  readonly table: string
  readonly column?: string
}

/**
 * Restates what a statement changes once the whole migration is known (a rename that is
 * half of a swap, a constraint that is a step): in place, so that every statement record
 * keeps the one shape the rules' property reads are optimised for (a copy made by
 * spreading cost the analysis of a large check ~15 ms).
 */
export function restateChanges(
  effects: StatementEffects,
  restate: (change: Change) => Change,
  compatibleRename?: string,
): void {
  const changes = effects.changes as Change[]
  for (let index = 0; index < changes.length; index++) changes[index] = restate(changes[index]!)
  if (compatibleRename !== undefined)
    (effects as { compatibleRename: string | undefined }).compatibleRename = compatibleRename
}

/** Collects a statement's effects; one lock per table, the strongest asked for. */
export class EffectsBuilder {
  readonly #locks = new Map<string, TableLock>()
  readonly rewrites: TableWork[] = []
  readonly scans: TableWork[] = []
  readonly indexBuilds: TableWork[] = []
  readonly rowWrites: { table: string; verb: string; whole: boolean; existing: boolean }[] = []
  readonly changes: Change[] = []
  readonly destroys: string[] = []
  readonly lostData: LostData[] = []
  readonly lostSchemas: string[] = []
  readonly notes: string[] = []
  unverifiable: string | undefined
  partitions: readonly string[] | undefined
  readonly adoptedConstraints: object[] = []

  constructor(private readonly isExisting: (table: string) => boolean) {}

  existing(table: string): boolean {
    return this.isExisting(table)
  }

  lock(table: string, mode: LockMode): this {
    const before = this.#locks.get(table)
    this.#locks.set(table, {
      table,
      mode: before ? strongerLock(before.mode, mode) : mode,
      existing: this.isExisting(table),
    })
    return this
  }

  rewrite(table: string, why: string): this {
    this.rewrites.push({ table, why, existing: this.isExisting(table) })
    return this
  }

  scan(table: string, why: string): this {
    this.scans.push({ table, why, existing: this.isExisting(table) })
    return this
  }

  buildIndex(table: string, why: string): this {
    this.indexBuilds.push({ table, why, existing: this.isExisting(table) })
    return this
  }

  /** Records data the statement destroys: `text` for people, `data` when it is a table's or column's. */
  destroy(text: string, data?: LostData): this {
    this.destroys.push(text)
    if (data !== undefined) this.lostData.push(data)
    return this
  }

  change(changeClass: ChangeClass, text: string): this {
    this.changes.push({ class: changeClass, text })
    return this
  }

  /** The statement locks tables, each of them created earlier in the same migration. */
  touchesOnlyNewTables(): boolean {
    if (this.#locks.size === 0) return false
    for (const lock of this.#locks.values()) if (lock.existing) return false
    return true
  }

  /** Makes the changes recorded since index `from` additive (they apply to new objects). */
  asAdditive(from: number): this {
    for (let index = from; index < this.changes.length; index++)
      this.changes[index] = { class: 'additive', text: this.changes[index]!.text }
    return this
  }

  build(): StatementEffects {
    return {
      locks: [...this.#locks.values()],
      rewrites: this.rewrites,
      scans: this.scans,
      indexBuilds: this.indexBuilds,
      rowWrites: this.rowWrites,
      changes: this.changes,
      destroys: this.destroys,
      lostData: this.lostData,
      lostSchemas: this.lostSchemas,
      unverifiable: this.unverifiable,
      notes: this.notes,
      partitions: this.partitions,
      compatibleRename: undefined,
      adoptedConstraints: this.adoptedConstraints,
    }
  }
}
