/**
 * Statements by phase, so that each runs when what it needs exists and what it removes
 * is no longer needed: dependents dropped first (triggers, policies, views, foreign
 * keys, indexes), then schemas and extensions, types and sequences, functions that need
 * no relation made here (defaults and generated columns may call them), columns dropped
 * (a kept column's type cannot change while a generated column still uses it), tables
 * and columns, removals, the other functions (which checks may call), constraints and
 * indexes, and last views, triggers and policies. `online` holds what must run outside
 * a transaction, after all of it: CONCURRENTLY index builds and drops, validations.
 */
export class ChangePlan {
  /**
   * Enum values added, each with its literal as the catalog writes it (`'great'::mood`).
   * Where another statement uses one, they go before the transaction, each committed:
   * PostgreSQL refuses a value's use in the transaction that added it ("unsafe use of
   * new value"). Otherwise they are the first of `types`.
   */
  readonly enumValues: { readonly statement: string; readonly literal: string }[] = []
  readonly dropsFirst: string[] = []
  readonly schemas: string[] = []
  readonly types: string[] = []
  readonly earlyRoutines: string[] = []
  /** Domains whose checks call a function `earlyRoutines` makes. */
  readonly lateTypes: string[] = []
  readonly columnRemovals: string[] = []
  readonly tables: string[] = []
  readonly removals: string[] = []
  readonly typeRemovals: string[] = []
  readonly additions: string[] = []
  readonly routines: string[] = []
  readonly late: string[] = []
  readonly lastly: string[] = []
  readonly online: string[] = []
  /** After `online`, in a transaction: keys added `USING INDEX` an online build made. */
  readonly afterOnline: string[] = []

  /**
   * The statements that run in the migration's transaction, in order, and the enum
   * values to add before it: all of them if a statement uses one, else none (they lead
   * the transaction's statements).
   */
  ordered(): { readonly enumValues: string[]; readonly statements: string[] } {
    const inTransaction = this.#inTransaction()
    const others = [...inTransaction, ...this.online, ...this.afterOnline]
    const values = this.enumValues.map(({ statement }) => statement)
    const used = this.enumValues.some(({ literal }) =>
      others.some((statement) => statement.includes(literal)),
    )
    return used
      ? { enumValues: values, statements: inTransaction }
      : { enumValues: [], statements: [...values, ...inTransaction] }
  }

  #inTransaction(): string[] {
    return [
      ...this.dropsFirst,
      ...this.schemas,
      ...this.types,
      ...this.earlyRoutines,
      ...this.lateTypes,
      ...this.columnRemovals,
      ...this.tables,
      ...this.removals,
      ...this.typeRemovals,
      ...this.routines,
      ...this.additions,
      ...this.late,
      ...this.lastly,
    ]
  }
}
