import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
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

/**
 * The password libpq would find without being told where: in `PGPASSFILE`, else in
 * `~/.pgpass`. A missing file is no error, and a file others may read is ignored, as
 * libpq does. Read here rather than by node-postgres, whose own reading of these files
 * is deprecated and prints a warning on every run.
 */
export function lookupDefaultPgpass(
  env: NodeJS.ProcessEnv,
  target: { host: string; port: number; database: string; user: string },
): string | undefined {
  const file = env.PGPASSFILE || join(env.HOME || homedir(), '.pgpass')
  try {
    const stat = statSync(file)
    if (!stat.isFile() || (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)) return undefined
  } catch {
    return undefined
  }
  // libpq matches a local socket connection's host as "localhost".
  const host = target.host.startsWith('/') ? 'localhost' : target.host
  return lookupPgpass(file, { ...target, host })
}
