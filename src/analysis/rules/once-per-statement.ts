import type { AnalysedStatement } from '../analysed-statement.js'

/**
 * `read`, computed once per statement and remembered while the statement lives: many
 * rules ask the same question of every statement (its ALTER TABLE subcommands, the
 * column types it declares).
 */
export function oncePerStatement<T>(
  read: (statement: AnalysedStatement) => T,
): (statement: AnalysedStatement) => T {
  const answers = new WeakMap<AnalysedStatement, T>()
  return (statement) => {
    if (answers.has(statement)) return answers.get(statement) as T
    const answer = read(statement)
    answers.set(statement, answer)
    return answer
  }
}
