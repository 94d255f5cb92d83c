import { countNewlines, forEachTopLevel } from '../graph/split-statements.js'

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
}

/** Meta-commands that send the query so far, as `;` does. */
const SENDS_QUERY = /^(g|gx|gset|gdesc|gexec|crosstabview|watch)$/
const INCLUDES = /^(i|ir|include|include_relative)$/

/**
 * Separates psql's meta-commands from the SQL of a script: a backslash outside quotes
 * and comments starts one, which runs to the end of its line. Without this, a script
 * that begins `\set ON_ERROR_STOP on` could not be checked at all.
 */
export function readPsqlScript(text: string): PsqlScript {
  if (!text.includes('\\')) return { sql: text, unverifiable: [] }
  let sql = ''
  let copied = 0
  let line = 1 // the line of `copied`, counted on as the scan moves forward
  const unverifiable: string[] = []
  forEachTopLevel(text, (index) => {
    if (text[index] !== '\\') return undefined
    const lineEnd = text.indexOf('\n', index)
    const end = lineEnd === -1 ? text.length : lineEnd
    const command = text.slice(index, end).trim()
    const name = /^\\([A-Za-z_]+)/.exec(command)?.[1] ?? ''
    line += countNewlines(text, copied, index)
    if (name === 'gexec') {
      unverifiable.push(`line ${line}: \\gexec runs the rows its query returns as SQL, which is not analysed`)
    } else if (INCLUDES.test(name)) {
      unverifiable.push(`line ${line}: ${command} includes a file that is not analysed here: check it too`)
    } else if (name === 'c' || name === 'connect') {
      unverifiable.push(`line ${line}: ${command} switches database; what follows is analysed as one script`)
    }
    sql += text.slice(copied, index) + (SENDS_QUERY.test(name) ? ';' : ' ') + ' '.repeat(end - index - 1)
    line += countNewlines(text, index, end)
    copied = end
    return end
  })
  return { sql: sql + text.slice(copied), unverifiable }
}
