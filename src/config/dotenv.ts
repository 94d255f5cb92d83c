import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The variables a `.env` file supplied, for saying where a setting came from. */
export interface DotenvApplied {
  readonly file: string
  /** Names set from the file: those the environment did not have already. */
  readonly keys: readonly string[]
}

// KEY=value per line, as dotenv (and Prisma, node-pg-migrate) read it: `export ` allowed,
// values single-quoted (literal), double-quoted (\n escapes, may span lines), back-quoted,
// or bare (to a ` #` comment, trimmed).
const LINE =
  /^[ \t]*(?:export[ \t]+)?([A-Za-z_][\w.-]*)[ \t]*=[ \t]*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`|[^#\r\n]*?)[ \t]*(?:#[^\r\n]*)?$/gm

/**
 * The variables of a `.env` file's text.
 *
 * @example parseDotenv('DATABASE_URL="postgresql://app@db/app" # prod') // { DATABASE_URL: 'postgresql://app@db/app' }
 */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const match of text.replace(/\r\n?/g, '\n').matchAll(LINE)) {
    const raw = match[2] ?? ''
    const quote = raw[0]
    if (quote === '"')
      values[match[1]!] = raw
        .slice(1, -1)
        .replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
    else if (quote === "'" || quote === '`') values[match[1]!] = raw.slice(1, -1)
    else values[match[1]!] = raw.trim()
  }
  return values
}

/**
 * Sets the variables of `<dir>/.env` that `env` does not have yet: the environment always
 * wins, as with dotenv. Nothing happens without the file, or with `STRATA_NO_DOTENV=1`.
 */
export function applyDotenv(dir: string, env: NodeJS.ProcessEnv): DotenvApplied | undefined {
  if (env.STRATA_NO_DOTENV === '1') return undefined
  const file = join(dir, '.env')
  if (!existsSync(file)) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined // a .env that cannot be read (a directory, no permission) is not ours to refuse
  }
  const keys: string[] = []
  for (const [key, value] of Object.entries(parseDotenv(text))) {
    if (env[key] !== undefined) continue
    env[key] = value
    keys.push(key)
  }
  return { file, keys }
}
