import type { Constraint } from 'libpg-query'
import type { AnalysedStatement } from './analysed-statement.js'
import { nodeOf } from './ast.js'
import { restateChanges } from './effects.js'
import { tableBaseName } from './rules/fix-names.js'
import { alterCommands } from './rules/rule.js'
import { type TableFacts, tableKey } from './schema-model.js'

/**
 * The name of a table's primary key: the database's in connected mode, otherwise the
 * name PostgreSQL gives one written without a name (`<table>_pkey`).
 */
export function primaryKeyName(table: string, facts: TableFacts | undefined): string {
  return facts?.primaryKey ?? `${tableBaseName(table)}_pkey`
}

/**
 * What dropping a table's primary key changes for the release still running: its
 * upserts (`INSERT ... ON CONFLICT` on the key's columns) fail. One function writes the
 * text and `markReplacedPrimaryKeys` recognises it.
 */
export function primaryKeyDropText(table: string): string {
  return `drops the primary key of ${table}: INSERT ... ON CONFLICT on its columns in the previous release fails`
}

/** The migration adds a primary key to the table (again): the key is replaced, not removed. */
export function addsPrimaryKey(table: string, statements: readonly AnalysedStatement[]): boolean {
  const key = tableKey(table)
  return statements.some((statement) =>
    alterCommands(statement).some(
      (command) =>
        command.subtype === 'AT_AddConstraint' &&
        tableKey(command.table) === key &&
        nodeOf<Constraint>(command.def, 'Constraint')?.contype === 'CONSTR_PRIMARY',
    ),
  )
}

/**
 * A primary key dropped and added again by the same migration (the key moved to a new
 * index, `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`) is replaced, not removed: the
 * drop's breaking change becomes backward compatible.
 */
export function markReplacedPrimaryKeys(statements: AnalysedStatement[]): AnalysedStatement[] {
  for (let index = 0; index < statements.length; index++) {
    const statement = statements[index]!
    if (statement.kind !== 'AlterTableStmt') continue
    const changes = statement.effects.changes
    for (let c = 0; c < changes.length; c++) {
      if (changes[c]!.class !== 'breaking') continue
      for (const command of alterCommands(statement)) {
        const dropped = primaryKeyDropText(command.table)
        if (changes[c]!.text !== dropped || !addsPrimaryKey(command.table, statements)) continue
        restateChanges(statement.effects, (change) =>
          change.text === dropped
            ? { class: 'backward compatible', text: `replaces the primary key of ${command.table}` }
            : change,
        )
      }
    }
  }
  return statements
}
