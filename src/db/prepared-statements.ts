import type pg from 'pg'
import { literalValue } from './history-table.js'

// What each connection has prepared: statement text → name. A prepared statement
// lives as long as its session (a ROLLBACK does not remove it), so it is prepared once
// per connection and the names never collide.
const preparedOn = new WeakMap<pg.ClientBase, Map<string, string>>()

/**
 * Prepares, in one round trip, the statements (with `parameters` parameters `$n`, all
 * of type text) that this connection has not prepared yet, and returns every name it
 * has, by text. The runner's record statement is parsed and planned on each of hundreds of
 * migrations otherwise — measured at about half of what recording costs the server.
 */
export async function prepareStatements(
  client: pg.ClientBase,
  wanted: Iterable<{ readonly text: string; readonly parameters: number }>,
): Promise<ReadonlyMap<string, string>> {
  const names = preparedOn.get(client) ?? new Map<string, string>()
  preparedOn.set(client, names)
  const missing = new Map<string, number>()
  for (const { text, parameters } of wanted) if (!names.has(text)) missing.set(text, parameters)
  if (missing.size === 0) return names
  const statements = [...missing].map(([text, parameters], index) => ({
    text,
    parameters,
    name: `strata_record_${names.size + index + 1}`,
  }))
  await client.query(
    statements
      .map(
        ({ name, text, parameters }) =>
          `PREPARE ${name}${parameters === 0 ? '' : `(${Array(parameters).fill('text').join(', ')})`} AS ${text}`,
      )
      .join(';\n'),
  )
  for (const { name, text } of statements) names.set(text, name)
  return names
}

/** Runs a prepared statement with its values as literals (it can travel in a batch). */
export function executeSql(name: string, values: readonly (string | null)[]): string {
  return values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${values.map(literalValue).join(', ')})`
}
