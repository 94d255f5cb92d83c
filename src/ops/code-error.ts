import { locateInFile } from '../config/describe-load-failure.js'
import { closestMatch } from '../util/closest-match.js'
import { MigrationOp } from './migration-op.js'
import { OpArgumentError } from './op-arguments.js'

/** Where an error a migration's own code threw came from, and what to do about a mistyped op call. */
export interface CodeErrorInfo {
  /** `file:line` when the stack names a line of the migration file, else the file. */
  readonly where: string
  /** The line of the migration file the error came from, when the stack names one. */
  readonly line: number | undefined
  /**
   * For a call the op API cannot take (a mistyped method or option): what to write
   * instead, e.g. "op has no method addColum: did you mean op.addColumn?". Set only then:
   * such a migration is invalid input, not a failed operation.
   */
  readonly opHint: string | undefined
}

/**
 * Reads an error thrown by a TypeScript migration's code (not by the database): a
 * mistyped op method surfaces as `op.addColum is not a function`, which names neither
 * the line nor the method meant.
 */
export function describeCodeError(error: unknown, file: string): CodeErrorInfo {
  const line = locateInFile(error, file)
  const called = /\bop\.(\w+) is not a function/.exec((error as Error)?.message ?? '')?.[1]
  let opHint: string | undefined
  if (error instanceof OpArgumentError) opHint = error.hint
  else if (called !== undefined) opHint = `op has no method ${called}${insteadOf(called)}`
  return { where: line === undefined ? file : `${file}:${line}`, line, opHint }
}

/**
 * What to write for a method op lacks. Teams arrive with another tool's vocabulary in
 * their fingers: Alembic's snake_case (`op.add_column`) and node-pg-migrate's `pgm`
 * methods, some of which Strata spells differently or does without.
 */
function insteadOf(called: string): string {
  const methods = opMethods()
  const camel = called.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
  if (camel !== called && methods.includes(camel)) return `: did you mean op.${camel}? (Alembic's ${called})`
  const other = OTHER_TOOLS[called]
  if (other !== undefined) return `: ${other}`
  const near = closestMatch(called, methods)
  return near ? `: did you mean op.${near}?` : '; the README lists the op API'
}

/** Methods of node-pg-migrate's `pgm` and Alembic's `op` that Strata's op has under another name, or not at all. */
const OTHER_TOOLS: Readonly<Record<string, string>> = {
  func: "an SQL expression is op.sql('now()') (node-pg-migrate's pgm.func)",
  addColumns: "op.addColumn('table', { name, type, ... }) adds one column per call",
  dropColumns: "op.dropColumn('table', 'column') drops one column per call",
  renameColumn: "op.alterColumn('table', 'old', { newName: 'new' })",
  addConstraint:
    'op.createForeignKey, op.createUniqueConstraint, op.createCheckConstraint or op.createPrimaryKey (or the safe recipes op.addForeignKeySafely, op.addCheckSafely)',
  createType: "op.createEnum('name', ['a', 'b'])",
  addTypeValue: "op.addEnumValue('name', 'value')",
  noTransaction: 'a migration that must run outside a transaction exports `transactional = false`',
  createFunction: 'op.execute with the CREATE FUNCTION statement',
  createTrigger: 'op.execute with the CREATE TRIGGER statement',
  get_bind: "op.query('SELECT ...') returns rows; op.execute runs a statement",
  batch_alter_table: 'PostgreSQL needs no batch mode: call op.addColumn, op.alterColumn, ... directly',
}

function opMethods(): string[] {
  return Object.getOwnPropertyNames(MigrationOp.prototype).filter(
    (name) => name !== 'constructor' && !name.startsWith('_'),
  )
}
