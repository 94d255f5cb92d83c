import { quoteIdent, quoteLiteral } from '../db/quote.js'
import { copyDataAfter, countNewlines, forEachTopLevel } from '../graph/split-statements.js'

/** A plain SQL file read as psql reads it. */
export interface PsqlScript {
  /**
   * The SQL that reaches PostgreSQL: psql's meta-commands (`\set ON_ERROR_STOP on`,
   * `\echo`, `\i`, ...) blanked out, same length and lines, and `\g` and its kin as the
   * `;` they stand for.
   */
  readonly sql: string
  /** What psql does there that the analysis cannot follow, with its line. */
  readonly unverifiable: readonly string[]
  /** `:name` references to variables the script does not set (`psql -v name=...`?). */
  readonly unresolved: readonly string[]
}

/** Meta-commands that send the query so far, as `;` does. */
const SENDS_QUERY = /^(g|gx|gset|gdesc|gexec|crosstabview|watch)$/
const INCLUDES = /^(i|ir|include|include_relative)$/

/**
 * Separates psql's meta-commands from the SQL of a script: a backslash outside quotes
 * and comments starts one, which runs to the end of its line. Without this, a script
 * that begins `\set ON_ERROR_STOP on` could not be checked at all. psql variables are
 * interpolated as psql does: `:name` as is, `:'name'` as a literal, `:"name"` as an
 * identifier. `given` holds those of `psql -v` (`strata check --set`); one neither the
 * script nor `given` sets is left as written, as psql leaves it.
 */
export function readPsqlScript(text: string, given: Readonly<Record<string, string>> = {}): PsqlScript {
  if (!text.includes('\\') && !VARIABLE.test(text)) return { sql: text, unverifiable: [], unresolved: [] }
  let sql = ''
  let copied = 0
  let line = 1 // the line of `copied`, counted on as the scan moves forward
  const unverifiable: string[] = []
  const variables = new Map<string, string>(Object.entries(given))
  const unresolved = new Set<string>()
  let statementStart = 0
  forEachTopLevel(text, (index) => {
    if (text[index] === ';') {
      const statement = text.slice(statementStart, index)
      statementStart = index + 1
      const data = copyDataAfter(text, index, statement)
      if (data === undefined) return undefined
      // COPY ... FROM stdin: psql sends the lines that follow as the table's rows, up to
      // `\.`; they are data, not SQL (a pg_dump plain script is full of them).
      line += countNewlines(text, copied, data.start)
      sql += text.slice(copied, data.start) + text.slice(data.start, data.end).replace(/[^\n]/g, ' ')
      line += countNewlines(text, data.start, data.end)
      copied = data.end
      statementStart = data.end
      return data.end
    }
    if (text[index] === ':') {
      const match = variableAt(text, index)
      if (match === undefined) return undefined
      const value = variables.get(match.name)
      if (value === undefined) {
        // psql leaves it as written too (it may be an array slice, `a[1:n]`).
        unresolved.add(match.name)
        return undefined
      }
      const replacement =
        match.quote === "'" ? quoteLiteral(value) : match.quote === '"' ? quoteIdent(value) : value
      line += countNewlines(text, copied, index)
      sql += text.slice(copied, index) + replacement
      copied = index + match.length
      return copied
    }
    if (text[index] !== '\\') return undefined
    const lineEnd = text.indexOf('\n', index)
    const end = lineEnd === -1 ? text.length : lineEnd
    const command = text.slice(index, end).trim()
    const name = /^\\([A-Za-z_]+)/.exec(command)?.[1] ?? ''
    line += countNewlines(text, copied, index)
    if (name === 'set') {
      const [variable, ...values] = psqlArguments(command)
      if (variable !== undefined) variables.set(variable, values.join(''))
    } else if (name === 'unset') {
      variables.delete(psqlArguments(command)[0] ?? '')
    } else if (name === 'gexec') {
      unverifiable.push(`line ${line}: \\gexec runs the rows its query returns as SQL, which is not analysed`)
    } else if (INCLUDES.test(name)) {
      unverifiable.push(`line ${line}: ${command} includes a file that is not analysed here: check it too`)
    } else if (name === 'c' || name === 'connect') {
      unverifiable.push(`line ${line}: ${command} switches database; what follows is analysed as one script`)
    }
    sql += text.slice(copied, index) + (SENDS_QUERY.test(name) ? ';' : ' ') + ' '.repeat(end - index - 1)
    copied = end
    // A meta-command before any SQL (`\set ON_ERROR_STOP on`) is not part of the statement
    // that follows; one that sends the query (`\g`) ends it.
    if (
      SENDS_QUERY.test(name) ||
      text
        .slice(statementStart, index)
        .replace(/--[^\n]*/g, '')
        .trim() === ''
    )
      statementStart = end
    return end
  })
  return { sql: sql + text.slice(copied), unverifiable, unresolved: [...unresolved] }
}

// `:name`, `:'name'` or `:"name"`, not the `::` of a cast.
const VARIABLE = /(?<!:):(['"]?)[A-Za-z_][A-Za-z0-9_]*\1/

function variableAt(
  text: string,
  index: number,
): { name: string; quote: string; length: number } | undefined {
  if (text[index - 1] === ':' || text[index + 1] === ':') return undefined
  const match = /^:(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(text.slice(index, index + 130))
  if (match === null) return undefined
  return { name: match[2]!, quote: match[1]!, length: match[0].length }
}

/**
 * A meta-command's arguments as psql reads them: separated by spaces, a 'quoted' one
 * may hold spaces ('' is one quote). `\set greeting 'hello world'` → greeting, hello world.
 */
function psqlArguments(command: string): string[] {
  const words = command.replace(/^\\\S+/, '').match(/'(?:[^']|'')*'|\S+/g) ?? []
  return words.map((word) => (word.startsWith("'") ? word.slice(1, -1).replace(/''/g, "'") : word))
}
