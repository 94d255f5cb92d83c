import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { StrataError } from '../errors/index.js'

/** A PostgreSQL client program found on this machine. */
export interface ClientProgram {
  readonly name: string
  readonly path: string
  /** e.g. 15 */
  readonly major: number
  /** e.g. "15.10" */
  readonly version: string
}

/** No client program fits: the message lists what was found and what to install. */
export class ClientProgramError extends StrataError {
  readonly exitCode = 1
}

/** Version-numbered package layouts: Debian/Ubuntu, RHEL/Fedora (PGDG), Homebrew. */
const VERSIONED_ROOTS: readonly { root: string; dir: (entry: string) => string; major: RegExp }[] = [
  {
    root: '/usr/lib/postgresql',
    dir: (entry) => join('/usr/lib/postgresql', entry, 'bin'),
    major: /^(\d+)$/,
  },
  { root: '/usr', dir: (entry) => join('/usr', entry, 'bin'), major: /^pgsql-(\d+)$/ },
  {
    root: '/opt/homebrew/opt',
    dir: (entry) => join('/opt/homebrew/opt', entry, 'bin'),
    major: /^postgresql@(\d+)$/,
  },
  {
    root: '/usr/local/opt',
    dir: (entry) => join('/usr/local/opt', entry, 'bin'),
    major: /^postgresql@(\d+)$/,
  },
]

/** Directories searched, in order: the config's `pgBinDir`, PATH, then the package layouts, newest first. */
function searchDirectories(pgBinDir: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const dirs = [...(pgBinDir ? [pgBinDir] : []), ...(env.PATH ?? '').split(delimiter).filter(Boolean)]
  for (const layout of VERSIONED_ROOTS) {
    if (!existsSync(layout.root)) continue
    const entries = readdirSync(layout.root)
      .map((entry) => ({ entry, major: Number(layout.major.exec(entry)?.[1] ?? Number.NaN) }))
      .filter((item) => Number.isInteger(item.major))
      .sort((a, b) => b.major - a.major)
    dirs.push(...entries.map((item) => layout.dir(item.entry)))
  }
  return dirs
}

/** The first `name` found, without asking its version (for `strata dev psql`). */
export function findClientProgram(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  pgBinDir?: string,
): string | undefined {
  return searchDirectories(pgBinDir, env)
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate))
}

/** Every distinct `name` on the machine, in search order (by real path). */
function candidatePaths(name: string, options: ProgramSearch): string[] {
  const seen = new Set<string>()
  const candidates: string[] = []
  for (const dir of searchDirectories(options.pgBinDir, options.env ?? process.env)) {
    const candidate = join(dir, name)
    if (!existsSync(candidate)) continue
    let real: string
    try {
      real = realpathSync(candidate)
    } catch {
      continue
    }
    // Debian's pg_wrapper (/usr/bin/pg_dump) only dispatches to /usr/lib/postgresql/N/bin,
    // which is searched anyway: listing it would name one program twice.
    if (seen.has(real) || real.endsWith('/pg_wrapper')) continue
    seen.add(real)
    candidates.push(candidate)
  }
  return candidates
}

/** The program described by its `--version` output, or undefined when that is not PostgreSQL's. */
function programFromVersion(name: string, path: string, output: string): ClientProgram | undefined {
  // "pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)"
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output)
  if (!match) return undefined
  return { name, path, major: Number(match[1]), version: match[2] ? `${match[1]}.${match[2]}` : match[1]! }
}

interface ProgramSearch {
  readonly pgBinDir?: string | undefined
  readonly env?: NodeJS.ProcessEnv | undefined
}

/** Every distinct `name` on the machine, with its version (`name --version`). */
export function listClientPrograms(name: string, options: ProgramSearch = {}): ClientProgram[] {
  return candidatePaths(name, options).flatMap((path) => {
    const output = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? ''
    return programFromVersion(name, path, output) ?? []
  })
}

/**
 * The same list, asked of every candidate at once and without blocking: a caller starts
 * it before connecting to the server, and the ~30–50 ms each `--version` costs passes
 * while the connection is made. Never rejects (a program that fails to answer is left out).
 */
export async function probeClientPrograms(
  name: string,
  options: ProgramSearch = {},
): Promise<ClientProgram[]> {
  const answers = await Promise.all(
    candidatePaths(name, options).map(
      (path) =>
        new Promise<ClientProgram | undefined>((resolve) => {
          execFile(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }, (_error, stdout) =>
            resolve(programFromVersion(name, path, stdout ?? '')),
          )
        }),
    ),
  )
  return answers.filter((program): program is ClientProgram => program !== undefined)
}

export interface ProgramRequirement {
  /** What the program is for, for the message: "the server at … (PostgreSQL 16.4)". */
  readonly purpose: string
  /** The lowest acceptable major version. */
  readonly minimumMajor: number
  readonly pgBinDir?: string | undefined
  readonly env?: NodeJS.ProcessEnv
}

/**
 * The program to use: the lowest major version that is at least `minimumMajor` (the
 * closest to the server, as pg_dump's documentation advises). When none fits, one
 * message names the versions found and what to install.
 *
 * @example chooseClientProgram('pg_dump', { purpose: 'PostgreSQL 16.4 at db:5432', minimumMajor: 16 })
 */
export function chooseClientProgram(name: string, requirement: ProgramRequirement): ClientProgram {
  return pickClientProgram(name, listClientPrograms(name, requirement), requirement)
}

/** `chooseClientProgram` over programs already found (`probeClientPrograms`). */
export function pickClientProgram(
  name: string,
  found: readonly ClientProgram[],
  requirement: ProgramRequirement,
): ClientProgram {
  const fitting = found
    .filter((program) => program.major >= requirement.minimumMajor)
    .sort((a, b) => a.major - b.major)
  if (fitting[0] !== undefined) return fitting[0]
  const major = requirement.minimumMajor
  const list =
    found.length === 0
      ? `no ${name} was found (searched ${requirement.pgBinDir ? 'pgBinDir, ' : ''}PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin)`
      : `found only ${found.map((program) => `${name} ${program.version} (${program.path})`).join(', ')}`
  throw new ClientProgramError(`${name} ${major} or newer is needed for ${requirement.purpose}; ${list}`, {
    hint: `install the PostgreSQL ${major} client programs: apt-get install postgresql-client-${major} (Debian/Ubuntu, from apt.postgresql.org), dnf install postgresql${major} (RHEL/Fedora, PGDG), brew install postgresql@${major} (macOS); or set pgBinDir in the config to their directory`,
  })
}
