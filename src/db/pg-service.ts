import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InvalidInputError } from '../errors/index.js'

/**
 * The connection keywords of a libpq service (`service=prod` in a URL or keyword string,
 * or `PGSERVICE=prod`), read as libpq reads them: the user's file (`PGSERVICEFILE`, else
 * `~/.pg_service.conf`) first, then the system one (`PGSYSCONFDIR/pg_service.conf`;
 * Debian's packages keep it in /etc/postgresql-common). INI sections, `key=value` lines,
 * `#` comments. A service defined nowhere is refused with the files looked in.
 *
 * @example serviceKeywords('prod', process.env) // { host: 'db.internal', port: '5432', dbname: 'app' }
 */
export function serviceKeywords(name: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const files = serviceFiles(env)
  for (const file of files) {
    if (!existsSync(file)) continue
    const keywords = sectionOf(readFileSync(file, 'utf8'), name, file)
    if (keywords !== undefined) return keywords
  }
  throw new InvalidInputError(`definition of service "${name}" not found`, {
    hint: `define [${name}] in ${files.join(' or ')} (PGSERVICEFILE names another file), or connect with a URL`,
  })
}

function serviceFiles(env: NodeJS.ProcessEnv): string[] {
  const user = env.PGSERVICEFILE || join(env.HOME || homedir(), '.pg_service.conf')
  const system = join(env.PGSYSCONFDIR || '/etc/postgresql-common', 'pg_service.conf')
  return [user, system]
}

function sectionOf(text: string, name: string, file: string): Record<string, string> | undefined {
  let inSection = false
  let found: Record<string, string> | undefined
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.*)\]$/.exec(line)
    if (section) {
      inSection = section[1]!.trim() === name
      if (inSection) found = {}
      continue
    }
    if (!inSection) continue
    const equals = line.indexOf('=')
    if (equals <= 0) {
      throw new InvalidInputError(`syntax error in service file "${file}", line ${index + 1}`, {
        hint: 'each line of a service section is keyword=value',
      })
    }
    found![line.slice(0, equals).trim()] = line.slice(equals + 1).trim()
  }
  return found
}
