import { readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { locateInFile } from '../config/describe-load-failure.js'
import { InvalidMigrationError } from '../errors/index.js'
import { parseDuration, timeoutOutOfRange } from '../util/duration.js'
import type { MigrationMeta, MigrationPhase } from './migration.js'
import { loadMigrationModule } from './migration-module.js'

/** A migration function as written in a TypeScript migration. */
export type MigrationFunction = (op: any) => Promise<unknown> | unknown

/** The code of a TypeScript migration. */
export interface TsMigrationBody {
  readonly upgrade: MigrationFunction
  readonly downgrade: MigrationFunction | undefined
  /** Per-migration settings exported by the file (lockTimeout, ...), read by the runner. */
  readonly exports: Readonly<Record<string, unknown>>
}

const PHASES: readonly MigrationPhase[] = ['expand', 'migrate', 'contract']

/**
 * Imports a TypeScript (or JavaScript) migration and checks its exports. With a
 * `cacheDir`, its compilation is cached there by checksum.
 */
export async function loadTsMigration(
  file: string,
  text: string,
  checksum: string,
  cacheDir?: string,
): Promise<{ meta: MigrationMeta; body: TsMigrationBody }> {
  const module = await importMigration(file, () => text, checksum, cacheDir)
  const fail = failure(file, () => text)
  const revision = module.revision
  if (typeof revision !== 'string' || revision === '') {
    throw fail(
      'revision',
      revision === undefined ? 'no `revision` export' : '`revision` must be a non-empty string',
      revision === undefined && module.upgrade === undefined
        ? `not a migration (no revision, no upgrade): a helper module goes outside the versions directory, or is named with a leading underscore (_${basename(file)}), which Strata skips; a migration needs export const revision = '<12 hex characters>'`
        : "add: export const revision = '<12 hex characters>'",
    )
  }
  const body = bodyOf(module, fail)
  const list = (name: string): string[] => {
    const value = module[name]
    if (value === undefined || value === null) return []
    if (typeof value === 'string') return [value]
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value
    throw fail(name, `\`${name}\` must be a string, an array of strings or null`)
  }
  const message = module.message ?? ''
  if (typeof message !== 'string') throw fail('message', '`message` must be a string')
  const transactional = module.transactional ?? true
  if (typeof transactional !== 'boolean') throw fail('transactional', '`transactional` must be true or false')
  const phase = module.phase
  if (phase !== undefined && !(PHASES as readonly unknown[]).includes(phase)) {
    throw fail('phase', `\`phase\` must be one of ${PHASES.join(', ')}`)
  }
  const duration = (name: string): number | undefined => {
    if (module[name] === undefined) return undefined
    const ms = parseDuration(module[name])
    if (ms === undefined) throw fail(name, `\`${name}\` must be milliseconds or a duration such as '5s'`)
    const tooLong = timeoutOutOfRange(ms)
    if (tooLong !== undefined) throw fail(name, `\`${name}\` is ${tooLong}`)
    return ms
  }
  const lockRetries = module.lockRetries
  if (lockRetries !== undefined && (!Number.isInteger(lockRetries) || (lockRetries as number) < 0)) {
    throw fail('lockRetries', '`lockRetries` must be a whole number of attempts')
  }
  return {
    meta: {
      lockTimeout: duration('lockTimeout'),
      statementTimeout: duration('statementTimeout'),
      lockRetries: lockRetries as number | undefined,
      revision,
      downRevisions: list('downRevision'),
      branchLabels: list('branchLabels'),
      dependsOn: list('dependsOn'),
      message: message || docCommentTitle(text),
      transactional,
      phase: phase as MigrationPhase | undefined,
      file,
      format: 'ts',
      checksum,
      hasDowngrade: typeof module.downgrade === 'function',
      createDate: /Create Date:\s*(.+)/.exec(text)?.[1]?.trim(),
    },
    body,
  }
}

/**
 * The code of a migration whose metadata is already known (read and checked when the
 * file was listed): its source is read only if it must be compiled or an error located.
 */
export async function loadTsMigrationBody(
  file: string,
  checksum: string,
  cacheDir: string,
): Promise<TsMigrationBody> {
  let text: string | undefined
  const source = () => {
    text ??= readFileSync(file, 'utf8')
    return text
  }
  return bodyOf(await importMigration(file, source, checksum, cacheDir), failure(file, source))
}

type Failure = (name: string, problem: string, hint?: string) => InvalidMigrationError

/** An invalid export, named with the line of the file that mentions it. */
function failure(file: string, source: () => string): Failure {
  const at = (name: string) => {
    const index = source()
      .split('\n')
      .findIndex((line) => new RegExp(`\\b${name}\\b`).test(line))
    return `${file}:${index === -1 ? 1 : index + 1}`
  }
  return (name, problem, hint) =>
    new InvalidMigrationError(`${at(name)}: ${problem}`, { where: at(name), ...(hint ? { hint } : {}) })
}

/** What to do about an import that does not resolve: a path, a path alias, or a package. */
function unresolvedImportHint(specifier: string): string {
  if (/^\.{0,2}\//.test(specifier)) return 'fix the path (relative to the migration file)'
  const alias = "declare the alias in the project's tsconfig.json (compilerOptions.paths), which Strata reads"
  // `@/db`, `~/lib`, `#db`, `$lib`: path aliases, not package names.
  if (/^(@\/|~|#|\$)/.test(specifier)) return alias
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0]
  return `install the package in the project (npm install ${name}), or, if it is a path alias, ${alias}`
}

async function importMigration(
  file: string,
  source: () => string,
  checksum: string,
  cacheDir: string | undefined,
): Promise<Record<string, unknown>> {
  try {
    // A path as typed (`strata check migrations/versions/x.ts`) is relative to the working
    // directory; the module loader would take it for a package name.
    return await loadMigrationModule(resolve(file), source, checksum, cacheDir)
  } catch (error) {
    const line = locateInFile(error, file)
    const where = line === undefined ? file : `${file}:${line}`
    const message = (error as Error)?.message?.split('\n')[0] ?? String(error)
    const syntax =
      /ParseError|SyntaxError|Unexpected token/.test(message) || (error as Error)?.name === 'SyntaxError'
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1]
    throw new InvalidMigrationError(
      syntax
        ? `${where}: syntax error: ${message.replace(/^ParseError:\s*/, '')}`
        : missing !== undefined
          ? `${where}: the migration imports ${missing}, which does not resolve from ${dirname(file)}`
          : `${where}: the migration threw while loading: ${message}`,
      {
        where,
        hint: syntax
          ? 'fix the syntax at that line'
          : missing !== undefined
            ? unresolvedImportHint(missing)
            : 'a migration module must load without side effects; move work into upgrade()',
        cause: error,
      },
    )
  }
}

function bodyOf(module: Record<string, unknown>, fail: Failure): TsMigrationBody {
  if (typeof module.upgrade !== 'function') {
    throw fail(
      'upgrade',
      module.upgrade === undefined ? 'no `upgrade` function exported' : '`upgrade` must be a function',
      'add: export async function upgrade(op) { ... }',
    )
  }
  if (module.downgrade !== undefined && typeof module.downgrade !== 'function') {
    throw fail('downgrade', '`downgrade` must be a function')
  }
  return {
    upgrade: module.upgrade as MigrationFunction,
    downgrade: module.downgrade as MigrationFunction | undefined,
    exports: module,
  }
}

/** The first line of the file's leading doc comment, used as the message when none is exported. */
function docCommentTitle(text: string): string {
  const match = /^\s*\/\*\*?\s*\n?\s*\*?\s*([^\n*][^\n]*)/.exec(text)
  return match?.[1]?.trim() ?? ''
}
