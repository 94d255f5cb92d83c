import type { AnalysedStatement } from './analysed-statement.js'
import { nameList, objectNames, relationName } from './ast.js'
import { restateChanges } from './effects.js'
import { type AlterCommandView, alterCommands, statementOf } from './rules/rule.js'
import { tableKey } from './schema-model.js'

/**
 * Finds the statements that are steps of a migration rather than changes of the schema
 * anyone sees, so that the migration's class and one-line reason come from what it does
 * (the op recipes write such steps):
 * - `DROP CONSTRAINT IF EXISTS c` before `ADD CONSTRAINT c` (what makes a re-run
 *   possible: the ADD is the change), and a helper constraint added, validated and
 *   dropped again (the check that proves a column NOT NULL);
 * - NOT NULL or a default given to a column the migration added;
 * - a trigger or function created and dropped again (a helper while data moves).
 * Their changes become additive, marked as steps; the rules still see every statement.
 */
export function markHelperSteps(statements: AnalysedStatement[]): AnalysedStatement[] {
  if (!hasStepCandidate(statements)) return statements
  const constraints = constraintActions(statements)
  const temporary = temporaryObjects(statements)
  const addedColumns = new Set<string>()
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!
    const commands = alterCommands(statement)
    const object = objectAction(statement)
    if (object !== undefined) {
      // A trigger or function created and dropped again by the migration: a helper.
      const at = temporary.get(object.key)
      const helper =
        object.action === 'create'
          ? at?.drops.some((position) => position > index) === true
          : at?.creates.some((position) => position < index) === true
      if (helper) restateAsStep(statement)
      continue
    }
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
    if (isStep) restateAsStep(statement)
  }
  return statements
}

/** Its changes made additive, marked as a step (nothing to do when they are already). */
function restateAsStep(statement: AnalysedStatement): void {
  if (statement.effects.changes.every((change) => change.class === 'additive')) return
  restateChanges(statement.effects, (change) => ({
    class: 'additive',
    text: `${change.text} (a step of the migration)`,
  }))
}

/** Words of the statements that may be steps (a drop, NOT NULL, a default). */
const STEP_WORDS = /\bDROP\s+CONSTRAINT\b|\bSET\s+(?:NOT\s+NULL|DEFAULT)\b/i
const DROPS_HELPER = /\bDROP\s+(?:TRIGGER|FUNCTION)\b/i

/**
 * Whether any statement may be a step: most migrations have none, and this pass runs
 * for each of them, cold, in a CLI process (a kind and a compiled regex per statement).
 */
function hasStepCandidate(statements: readonly AnalysedStatement[]): boolean {
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!
    if (statement.kind === 'AlterTableStmt' && STEP_WORDS.test(statement.sql)) return true
    if (statement.kind === 'DropStmt' && DROPS_HELPER.test(statement.sql)) return true
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

/** A constraint's table and name, as one key; undefined for an unnamed one being added. */
export function constraintKey(command: AlterCommandView): string | undefined {
  const name = command.subtype === 'AT_AddConstraint' ? command.def?.Constraint?.conname : command.name
  return name === undefined ? undefined : `${tableKey(command.table)}\u0000${name}`
}

function columnKey(table: string, column: string | undefined): string {
  return `${tableKey(table)}\u0000${column}`
}

/** Where the migration creates and drops each trigger and function (by kind, table and name). */
function temporaryObjects(
  statements: readonly AnalysedStatement[],
): Map<string, { creates: number[]; drops: number[] }> {
  const objects = new Map<string, { creates: number[]; drops: number[] }>()
  for (let index = 0; index < statements.length; index++) {
    const object = objectAction(statements[index]!)
    if (object === undefined) continue
    const entry = objects.get(object.key) ?? { creates: [], drops: [] }
    ;(object.action === 'create' ? entry.creates : entry.drops).push(index)
    objects.set(object.key, entry)
  }
  return objects
}

/** A trigger or function the statement creates or drops (one object), as a key. */
function objectAction(statement: AnalysedStatement): { key: string; action: 'create' | 'drop' } | undefined {
  const trigger = statementOf(statement, 'CreateTrigStmt')
  if (trigger !== undefined)
    return {
      key: `trigger\u0000${tableKey(relationName(trigger.relation))}\u0000${trigger.trigname}`,
      action: 'create',
    }
  const fn = statementOf(statement, 'CreateFunctionStmt')
  if (fn !== undefined) return { key: `function\u0000${nameList(fn.funcname).at(-1)}`, action: 'create' }
  const drop = statementOf(statement, 'DropStmt')
  if (drop === undefined || (drop.objects ?? []).length !== 1) return undefined
  if (drop.removeType === 'OBJECT_TRIGGER') {
    const parts = objectNames(drop.objects)[0]!.split('.')
    const name = parts.pop()
    return { key: `trigger\u0000${tableKey(parts.join('.'))}\u0000${name}`, action: 'drop' }
  }
  if (drop.removeType === 'OBJECT_FUNCTION')
    return { key: `function\u0000${objectNames(drop.objects)[0]!.split('.').at(-1)}`, action: 'drop' }
  return undefined
}
