import type { AnalysedStatement } from './analysed-statement.js'
import { restateChanges } from './effects.js'
import { type AlterCommandView, alterCommands } from './rules/rule.js'
import { tableKey } from './schema-model.js'

/**
 * Finds the statements that are steps of a migration rather than changes of the schema
 * anyone sees, so that the migration's class and one-line reason come from what it does
 * (the op recipes write such steps):
 * - `DROP CONSTRAINT IF EXISTS c` before `ADD CONSTRAINT c` (what makes a re-run
 *   possible: the ADD is the change), and a helper constraint added, validated and
 *   dropped again (the check that proves a column NOT NULL);
 * - NOT NULL or a default given to a column the migration added.
 * Their changes become additive, marked as steps; the rules still see every statement.
 */
export function markHelperSteps(statements: AnalysedStatement[]): AnalysedStatement[] {
  if (!hasStepCandidate(statements)) return statements
  const constraints = constraintActions(statements)
  const addedColumns = new Set<string>()
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!
    const commands = alterCommands(statement)
    if (commands.length === 0) continue
    const isStep = commands.every((command) => {
      switch (command.subtype) {
        case 'AT_AddConstraint':
        case 'AT_ValidateConstraint': {
          // Dropped again later in the migration: a helper.
          const at = constraints.get(constraintKey(command) ?? '')
          return at?.drops.some((position) => position > index) === true
        }
        case 'AT_DropConstraint': {
          // Added again after it (a re-run guard), or added by the migration itself (a helper).
          const at = constraints.get(constraintKey(command) ?? '')
          return (at?.adds.length ?? 0) > 0
        }
        case 'AT_SetNotNull':
        case 'AT_ColumnDefault':
          return command.name !== undefined && addedColumns.has(columnKey(command.table, command.name))
        default:
          return false
      }
    })
    for (const command of commands)
      if (command.subtype === 'AT_AddColumn')
        addedColumns.add(columnKey(command.table, command.def?.ColumnDef?.colname))
    if (!isStep || statement.effects.changes.every((change) => change.class === 'additive')) continue
    restateChanges(statement.effects, (change) => ({
      class: 'additive',
      text: `${change.text} (a step of the migration)`,
    }))
  }
  return statements
}

/** Words of the statements that may be steps (a drop, NOT NULL, a default). */
const STEP_WORDS = /\bDROP\s+CONSTRAINT\b|\bSET\s+(?:NOT\s+NULL|DEFAULT)\b/i

/**
 * Whether any statement may be a step: most migrations have none, and this pass runs
 * for each of them, cold, in a CLI process (a kind and a compiled regex per statement).
 */
function hasStepCandidate(statements: readonly AnalysedStatement[]): boolean {
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!
    if (statement.kind === 'AlterTableStmt' && STEP_WORDS.test(statement.sql)) return true
  }
  return false
}

/** Where the migration adds and drops each named constraint (by table and name): statement positions. */
function constraintActions(
  statements: readonly AnalysedStatement[],
): Map<string, { adds: number[]; drops: number[] }> {
  const actions = new Map<string, { adds: number[]; drops: number[] }>()
  for (let index = 0; index < statements.length; index++) {
    for (const command of alterCommands(statements[index]!)) {
      const key = constraintKey(command)
      if (key === undefined) continue
      const entry = actions.get(key) ?? { adds: [], drops: [] }
      if (command.subtype === 'AT_AddConstraint') entry.adds.push(index)
      else if (command.subtype === 'AT_DropConstraint') entry.drops.push(index)
      else continue
      actions.set(key, entry)
    }
  }
  return actions
}

/** A constraint's table and name; undefined for an unnamed one being added. */
function constraintKey(command: AlterCommandView): string | undefined {
  const name = command.subtype === 'AT_AddConstraint' ? command.def?.Constraint?.conname : command.name
  return name === undefined ? undefined : `${tableKey(command.table)}\u0000${name}`
}

function columnKey(table: string, column: string | undefined): string {
  return `${tableKey(table)}\u0000${column}`
}
