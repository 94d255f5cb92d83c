import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../errors/index.js'
import { withoutByteOrderMark } from '../util/byte-order-mark.js'
import { displayPath } from '../util/display-path.js'

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

/** A variable whose value refers to one that is set neither in the environment nor in the file. */
export interface UnresolvedReference {
  readonly key: string
  readonly line: number
  readonly names: readonly string[]
}

/**
 * `${NAME}` or `${NAME:-fallback}`, as in strata.config; `$NAME`, as dotenv-expand (and so
 * Prisma) also reads it, but only for a variable that is set: otherwise it stays as
 * written, since passwords have `$` in them. `\$` is a `$` that is never expanded.
 */
const REFERENCE = /\\\$|\$\{([A-Za-z_]\w*)(?::-([^}]*))?\}|\$([A-Za-z_]\w*)/g

/**
 * The variables of a `.env` file's text. References to other variables, `${NAME}`,
 * `${NAME:-fallback}` and `$NAME` (Prisma's and dotenv-expand's way of building
 * DATABASE_URL from parts), are expanded from `env` first, then from the file;
 * single-quoted values are literal. A reference to a variable set nowhere leaves its key out and in `unresolved`.
 *
 * @example readDotenv('DB_USER=app\nDATABASE_URL=postgresql://${DB_USER}@db/app').values.DATABASE_URL // 'postgresql://app@db/app'
 */
export function readDotenv(
  text: string,
  env: NodeJS.ProcessEnv = {},
): { values: Record<string, string>; unresolved: UnresolvedReference[] } {
  const normalised = withoutByteOrderMark(text).replace(/\r\n?/g, '\n')
  const raw = new Map<string, { value: string; literal: boolean; line: number }>()
  for (const match of normalised.matchAll(LINE)) {
    const written = match[2] ?? ''
    const quote = written[0]
    const line = normalised.slice(0, match.index).split('\n').length
    if (quote === '"') {
      const value = written
        .slice(1, -1)
        .replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
      raw.set(match[1]!, { value, literal: false, line })
    } else if (quote === "'") raw.set(match[1]!, { value: written.slice(1, -1), literal: true, line })
    else if (quote === '`') raw.set(match[1]!, { value: written.slice(1, -1), literal: false, line })
    else raw.set(match[1]!, { value: written.trim(), literal: false, line })
  }
  const values: Record<string, string> = {}
  const unresolved: UnresolvedReference[] = []
  const expanding = new Set<string>()
  const expanded = (key: string): string | undefined => {
    if (key in values) return values[key]
    const entry = raw.get(key)
    if (entry === undefined || expanding.has(key)) return undefined // unknown, or a cycle
    expanding.add(key)
    const missing: string[] = []
    const value = entry.literal
      ? entry.value
      : entry.value.replace(REFERENCE, (all: string, name?: string, fallback?: string, bare?: string) => {
          if (all === '\\$') return '$'
          if (bare !== undefined) return env[bare] ?? expanded(bare) ?? all
          const found = env[name!] ?? expanded(name!)
          if (found !== undefined && found !== '') return found
          if (fallback !== undefined) return fallback
          if (found === undefined) missing.push(name!)
          return ''
        })
    expanding.delete(key)
    if (missing.length > 0) {
      if (!unresolved.some((u) => u.key === key)) unresolved.push({ key, line: entry.line, names: missing })
      return undefined
    }
    values[key] = value
    return value
  }
  for (const key of raw.keys()) expanded(key)
  return { values, unresolved }
}

/** The variables of a `.env` file's text (see readDotenv). */
export function parseDotenv(text: string, env: NodeJS.ProcessEnv = {}): Record<string, string> {
  return readDotenv(text, env).values
}

/** The variables strata reads from the environment itself: DATABASE_URL, libpq's PG*, its own. */
const STRATA_READS = /^(?:DATABASE_URL|PG[A-Z]+|STRATA_\w+)$/

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
  const { values, unresolved } = readDotenv(text, env)
  // Without it, DATABASE_URL or a PG* variable would silently be missing, and strata
  // would connect somewhere else (the development server) instead of failing.
  const needed = unresolved.find((u) => env[u.key] === undefined && STRATA_READS.test(u.key))
  if (needed !== undefined) {
    const names = needed.names.map((name) => `\${${name}}`).join(', ')
    throw new ConfigError(
      `${displayPath(file)}:${needed.line}: ${needed.key} uses ${names}, which is not set`,
      {
        where: `${displayPath(file)}:${needed.line}`,
        hint: `set ${needed.names[0]} in the environment or in .env, or write \${${needed.names[0]}:-default}; a literal value in single quotes is not expanded`,
      },
    )
  }
  const keys: string[] = []
  for (const [key, value] of Object.entries(values)) {
    if (env[key] !== undefined) continue
    env[key] = value
    keys.push(key)
  }
  return { file, keys }
}
