import type { AnalysedStatement } from '../analysed-statement.js'
import { relationName, type TypeInfo, typeInfo } from '../ast.js'
import { alterCommands, statementOf } from './rule.js'

/** A column as a statement declares it: in CREATE TABLE, ADD COLUMN or ALTER COLUMN TYPE. */
export interface DeclaredColumn {
  readonly table: string
  readonly column: string
  readonly type: TypeInfo
  /** Part of the primary key, an identity, or a foreign key. */
  readonly isKey: boolean
}

// Five column-type rules ask about every statement: each statement is read once.
const declaredByStatement = new WeakMap<AnalysedStatement, readonly DeclaredColumn[]>()

/** Every column type a statement declares, for the column-type rules. */
export function declaredColumns(statement: AnalysedStatement): readonly DeclaredColumn[] {
  let columns = declaredByStatement.get(statement)
  if (columns === undefined) {
    columns = readDeclaredColumns(statement)
    declaredByStatement.set(statement, columns)
  }
  return columns
}

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
