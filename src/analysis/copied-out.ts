import type { RangeVar } from 'libpg-query'
import type { AnalysedStatement } from './analysed-statement.js'
import { relationName, relationsIn } from './ast.js'
import type { LostData } from './effects.js'

/** What one statement destroys, once rows copied out earlier are taken into account. */
export interface Destroyed {
  readonly statement: AnalysedStatement
  /** For people: "column users.bio", "table audit". */
  readonly destroys: readonly string[]
  readonly lostData: readonly LostData[]
  readonly lostSchemas: readonly string[]
}

/**
 * What each statement destroys, in order. A table whose rows an earlier statement
 * copied out (`INSERT INTO users SELECT ... FROM users_strata_dups`, `UPDATE sessions
 * ... FROM sessions_repointed`) is not lost when it is dropped or emptied: that is how a
 * recipe's downgrade puts the rows it set aside back.
 */
export function destroyedInOrder(statements: readonly AnalysedStatement[]): Destroyed[] {
  const copiedOut = new Set<string>()
  const kept = (table: string) => copiedOut.has(table)
  const result: Destroyed[] = []
  for (const statement of statements) {
    result.push({
      statement,
      destroys: statement.effects.destroys.filter((text) => {
        const table = /^(?:table|rows of) (.+)$/.exec(text)?.[1]
        return table === undefined || !kept(table)
      }),
      lostData: statement.effects.lostData.filter((data) => data.column !== undefined || !kept(data.table)),
      lostSchemas: statement.effects.lostSchemas,
    })
    for (const table of tablesReadInto(statement)) copiedOut.add(table)
  }
  return result
}

/** The tables an INSERT ... SELECT or UPDATE ... FROM reads from, other than its target. */
function tablesReadInto(statement: AnalysedStatement): string[] {
  if (statement.kind !== 'InsertStmt' && statement.kind !== 'UpdateStmt') return []
  const body = (statement.node as Record<string, { relation?: RangeVar }>)[statement.kind]
  const target = relationName(body?.relation)
  return relationsIn(statement.node).filter((table) => table !== target)
}
