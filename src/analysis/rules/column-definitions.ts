import type { AnalysedStatement } from '../analysed-statement.js'
import { relationName, type TypeInfo, typeInfo } from '../ast.js'
import { oncePerStatement } from './once-per-statement.js'
import { alterCommands, statementOf } from './rule.js'

/** A column as a statement declares it: in CREATE TABLE, ADD COLUMN or ALTER COLUMN TYPE. */
export interface DeclaredColumn {
  readonly table: string
  readonly column: string
  readonly type: TypeInfo
  /** Part of the primary key, an identity, or a foreign key. */
  readonly isKey: boolean
}

/** Every column type a statement declares, for the column-type rules (five ask of every statement). */
export const declaredColumns: (statement: AnalysedStatement) => readonly DeclaredColumn[] =
  oncePerStatement(readDeclaredColumns)

function readDeclaredColumns(statement: AnalysedStatement): DeclaredColumn[] {
  const create = statementOf(statement, 'CreateStmt')
  if (create !== undefined) {
    const table = relationName(create.relation)
    const keyColumns = new Set<string>()
    for (const element of create.tableElts ?? []) {
      const constraint = element.Constraint
      if (constraint?.contype === 'CONSTR_PRIMARY')
        for (const key of constraint.keys ?? []) keyColumns.add(key.String?.sval)
      if (constraint?.contype === 'CONSTR_FOREIGN')
        for (const key of constraint.fk_attrs ?? []) keyColumns.add(key.String?.sval)
    }
    return (create.tableElts ?? [])
      .filter((element: any) => element.ColumnDef)
      .map((element: any) => column(table, element.ColumnDef, keyColumns.has(element.ColumnDef.colname)))
  }
  return alterCommands(statement).flatMap((cmd) => {
    if (cmd.subtype === 'AT_AddColumn') return [column(cmd.table, cmd.def.ColumnDef, false)]
    if (cmd.subtype === 'AT_AlterColumnType')
      return [column(cmd.table, { ...cmd.def.ColumnDef, colname: cmd.name }, false)]
    return []
  })
}

function column(table: string, definition: any, tableKey: boolean): DeclaredColumn {
  const keyed = (definition.constraints ?? []).some((c: any) =>
    ['CONSTR_PRIMARY', 'CONSTR_IDENTITY', 'CONSTR_FOREIGN'].includes(c.Constraint?.contype),
  )
  return { table, column: definition.colname, type: typeInfo(definition.typeName), isKey: tableKey || keyed }
}
