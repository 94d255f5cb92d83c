import { sqlTableName } from '../db/quote.js'
import { UsageError } from '../errors/index.js'
import { shortList } from '../util/plural.js'
import { escapeRegex } from '../util/wildcard.js'

/**
 * `restore -t` values, read the way pg_dump reads its own `-t` patterns: a dot separates
 * the schema from the table; outside double quotes letters fold to lower case and `*`
 * and `?` are wildcards; inside them case and every character are kept (`""` is a quote).
 * So `-t Users` is the table users, and `-t '"Users"'` the table created as "Users".
 */
interface NamePattern {
  readonly regex: RegExp
  /** The name as PostgreSQL would store it; undefined when the part has a wildcard. */
  readonly exact: string | undefined
}

export interface TablePattern {
  readonly schema: NamePattern | undefined
  readonly table: NamePattern
}

/**
 * Each `-t` value as the `schema.table` names of the backup it means:
 * - a name or pattern with a schema: the tables of that schema that match;
 * - without a schema: the tables of any schema that match. A plain name held in two
 *   schemas is ambiguous and refused, because restoring both was not what was asked.
 * `held` is what the backup holds (its manifest's row counts); empty for a schema-only
 * backup, whose names are then taken as given (folded as PostgreSQL folds them).
 */
export function resolveTableArguments(
  values: readonly string[],
  held: readonly string[],
  backupId: string,
): string[] {
  const resolved = values.flatMap((value) => {
    const pattern = parseTablePattern(value)
    if (held.length === 0) {
      if (pattern.table.exact === undefined)
        throw new UsageError(
          `-t ${value}: backup ${backupId} records no table names (it is schema-only), so a pattern cannot be matched; nothing was changed`,
          { hint: 'name each table exactly, e.g. -t public.users' },
        )
      return [
        pattern.schema?.exact === undefined
          ? pattern.table.exact
          : `${pattern.schema.exact}.${pattern.table.exact}`,
      ]
    }
    const matching = held.filter((name) => matches(pattern, name))
    if (matching.length === 0) throw notHeld(value, held, backupId)
    if (matching.length > 1 && pattern.schema === undefined && pattern.table.exact !== undefined)
      throw new UsageError(
        `-t ${value} names tables in ${matching.length} schemas of backup ${backupId} (${matching.join(', ')}); nothing was changed`,
        { hint: `name the one to restore with its schema: -t ${matching[0]}` },
      )
    return matching
  })
  return [...new Set(resolved)]
}

function matches(pattern: TablePattern, qualified: string): boolean {
  const dot = qualified.indexOf('.')
  const schema = qualified.slice(0, dot)
  const table = qualified.slice(dot + 1)
  return (
    pattern.table.regex.test(table) && (pattern.schema === undefined || pattern.schema.regex.test(schema))
  )
}

function notHeld(value: string, held: readonly string[], backupId: string): UsageError {
  const folded = value.replace(/"/g, '').toLowerCase()
  const differentCase = held.filter(
    (name) => name.toLowerCase() === folded || name.toLowerCase().endsWith(`.${folded}`),
  )
  return new UsageError(`backup ${backupId} holds no table matching -t ${value}; nothing was changed`, {
    hint:
      differentCase.length > 0
        ? `names keep their case only in double quotes, as in SQL: -t '${differentCase.map(sqlTableName).join("' -t '")}'`
        : `it holds ${shortList([...held])}. \`strata backups list\` shows the other backups`,
  })
}

/** Splits a -t value at its unquoted dots and reads each part; bad quoting is bad input. */
export function parseTablePattern(text: string): TablePattern {
  const parts: { regex: string; exact: string; wildcard: boolean }[] = [
    { regex: '', exact: '', wildcard: false },
  ]
  let quoted = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    const part = parts[parts.length - 1]!
    if (char === '"') {
      if (quoted && text[index + 1] === '"') {
        part.regex += '"'
        part.exact += '"'
        index++
      } else quoted = !quoted
    } else if (quoted) {
      part.regex += escapeRegex(char)
      part.exact += char
    } else if (char === '.') parts.push({ regex: '', exact: '', wildcard: false })
    else if (char === '*' || char === '?') {
      part.regex += char === '*' ? '.*' : '.'
      part.wildcard = true
    } else {
      part.regex += escapeRegex(char.toLowerCase())
      part.exact += char.toLowerCase()
    }
  }
  const problem = quoted
    ? 'has a double quote that is not closed'
    : parts.length > 2
      ? 'has more than one dot (give schema.table; a database name is not part of it)'
      : parts.some((part) => part.regex === '')
        ? 'has an empty schema or table name'
        : undefined
  if (problem)
    throw new UsageError(`-t ${text} ${problem}`, {
      hint: 'name a table as table, schema.table, or with pg_dump wildcards (audit_*); quote mixed case: \'"Users"\'',
    })
  const read = (part: (typeof parts)[number]): NamePattern => ({
    regex: new RegExp(`^${part.regex}$`),
    exact: part.wildcard ? undefined : part.exact,
  })
  return {
    schema: parts.length === 2 ? read(parts[0]!) : undefined,
    table: read(parts[parts.length - 1]!),
  }
}

/** A `-n` value (pg_dump's schema pattern), read as one part of a -t value is. */
export function parseSchemaPattern(text: string): NamePattern {
  const pattern = parseTablePattern(text)
  if (pattern.schema !== undefined)
    throw new UsageError(`-n ${text} names a schema with a dot in it`, {
      hint: 'give the schema name alone; quote it if the dot is part of it: \'"my.schema"\'',
    })
  return pattern.table
}
