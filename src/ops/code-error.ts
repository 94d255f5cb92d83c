import { locateInFile } from '../config/describe-load-failure.js'
import { closestMatch } from '../util/closest-match.js'
import { MigrationOp } from './migration-op.js'
import { OpArgumentError } from './op-arguments.js'

/** Where an error a migration's own code threw came from, and what to do about a mistyped op call. */
export interface CodeErrorInfo {
  /** `file:line` when the stack names a line of the migration file, else the file. */
  readonly where: string
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
  else if (called !== undefined) {
    const near = closestMatch(called, opMethods())
    opHint = `op has no method ${called}${near ? `: did you mean op.${near}?` : '; the README lists the op API'}`
  }
  return { where: line === undefined ? file : `${file}:${line}`, opHint }
}

function opMethods(): string[] {
  return Object.getOwnPropertyNames(MigrationOp.prototype).filter(
    (name) => name !== 'constructor' && !name.startsWith('_'),
  )
}
