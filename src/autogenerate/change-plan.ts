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
  readonly dropsFirst: string[] = []
  readonly schemas: string[] = []
  readonly types: string[] = []
  readonly earlyRoutines: string[] = []
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

  /** The statements that run in the migration's transaction, in order. */
  ordered(): string[] {
    return [
      ...this.dropsFirst,
      ...this.schemas,
      ...this.types,
      ...this.earlyRoutines,
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
