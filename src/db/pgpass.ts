import { readFileSync } from 'node:fs'
import { InvalidInputError } from '../errors/index.js'

/**
 * The password for a connection from a pgpass file (libpq's format:
 * `host:port:database:user:password`, `*` matches anything, `\:` and `\\` escaped).
 */
export function lookupPgpass(
  file: string,
  target: { host: string; port: number; database: string; user: string },
): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new InvalidInputError(`cannot read passfile ${file}: ${(error as NodeJS.ErrnoException).code}`, {
      hint: 'check the passfile= path in the connection string',
    })
  }
  const wanted = [target.host, String(target.port), target.database, target.user]
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const fields = splitPgpassLine(line)
    if (fields.length < 5) continue
    if (wanted.every((value, index) => fields[index] === '*' || fields[index] === value)) return fields[4]
  }
  return undefined
}

function splitPgpassLine(line: string): string[] {
  const fields: string[] = []
  let current = ''
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!
    if (char === '\\' && index + 1 < line.length) {
      current += line[++index]
    } else if (char === ':' && fields.length < 4) {
      fields.push(current)
      current = ''
    } else {
      current += char
    }
  }
  fields.push(current)
  return fields
}
