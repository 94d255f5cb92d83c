import { type SpawnSyncReturns, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedServerError } from '../errors/index.js'
import { ensureDirectory } from '../util/ensure-directory.js'
import { isProcessAlive } from '../util/process-alive.js'
import type { ServerBinaries } from './binaries.js'
import type { ServerUser } from './server-user.js'

/** Where and how one embedded PostgreSQL cluster lives. */
export interface ClusterLocation {
  readonly binaries: ServerBinaries
  readonly dataDir: string
  /** The account that owns the data directory and runs the server (root → `postgres`). */
  readonly user: ServerUser | undefined
}

/** What `postmaster.pid` says about a cluster. */
export interface ClusterStatus {
  readonly running: boolean
  readonly pid: number | undefined
  readonly port: number | undefined
  readonly host: string | undefined
}

const SETTINGS_FILE = 'strata.conf'
export const SERVER_LOG_FILE = 'strata-server.log'
export const SUPERUSER = 'postgres'

export function isInitialized(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'))
}

/** The major version a data directory was created with. */
export function dataDirMajor(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim())
}

function run(
  location: ClusterLocation,
  program: string,
  args: string[],
  timeoutMs = 120_000,
): SpawnSyncReturns<string> {
  return spawnSync(program, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(location.user ? { uid: location.user.uid, gid: location.user.gid } : {}),
    // C messages: callers match on pg_ctl's English output.
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', PGPASSWORD: undefined } as NodeJS.ProcessEnv,
  })
}

function chownToServer(path: string, user: ServerUser | undefined): void {
  if (user) chownSync(path, user.uid, user.gid)
}

/**
 * Creates a new cluster with password authentication for every connection. The
 * password reaches initdb through a 0600 file, never a command line.
 */
export function initCluster(
  location: ClusterLocation,
  password: string,
  options: {
    /** Skip fsync during initdb: for throw-away clusters (tests, benchmarks). */
    fast?: boolean
    /** pg_hba.conf lines placed before the defaults (tests use them to require TLS for a role). */
    hbaPrepend?: readonly string[]
  } = {},
): void {
  const { dataDir, user, binaries } = location
  ensureDirectory(dataDir, 0o700)
  chownToServer(dataDir, user)
  const secretDir = mkdtempSync(join(tmpdir(), 'strata-initdb-'))
  const passwordFile = join(secretDir, 'pw')
  try {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
    chownToServer(secretDir, user)
    chownToServer(passwordFile, user)
    const args = [
      `--pgdata=${dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      '--auth-local=scram-sha-256',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      ...(options.fast ? ['--no-sync'] : []),
    ]
    const result = run(location, binaries.initdb, args)
    if (result.status !== 0) {
      throw new EmbeddedServerError(`initdb failed for ${dataDir}: ${failureOf(result)}`, {
        hint: 'make sure the directory is empty and writable by the server user',
      })
    }
  } finally {
    rmSync(secretDir, { recursive: true, force: true })
  }
  const confFile = join(dataDir, 'postgresql.conf')
  writeFileSync(confFile, `${readFileSync(confFile, 'utf8')}\ninclude_if_exists = '${SETTINGS_FILE}'\n`)
  if (options.hbaPrepend && options.hbaPrepend.length > 0) {
    const hbaFile = join(dataDir, 'pg_hba.conf')
    writeFileSync(hbaFile, `${options.hbaPrepend.join('\n')}\n${readFileSync(hbaFile, 'utf8')}`)
  }
}

/** Writes the settings Strata controls (port, address, extra GUCs) for the next start. */
export function writeClusterSettings(
  location: ClusterLocation,
  settings: { port: number; host: string; extra?: Readonly<Record<string, string | number>> },
): void {
  const lines = [
    '# Written by strata on every start; edit strata.config.ts instead.',
    `port = ${settings.port}`,
    `listen_addresses = '${settings.host}'`,
    // No Unix socket: it would clash with a system server's socket, and TCP on loopback is enough.
    "unix_socket_directories = ''",
    ...Object.entries(settings.extra ?? {}).map(([key, value]) =>
      typeof value === 'number' ? `${key} = ${value}` : `${key} = '${String(value).replace(/'/g, "''")}'`,
    ),
  ]
  const file = join(location.dataDir, SETTINGS_FILE)
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  chownToServer(file, location.user)
}

/** Starts the cluster in the background (it outlives this process) and waits until it accepts connections. */
export function startCluster(location: ClusterLocation, timeoutSeconds = 60): void {
  const logFile = join(location.dataDir, SERVER_LOG_FILE)
  const result = run(
    location,
    location.binaries.pgCtl,
    ['start', '-D', location.dataDir, '-l', logFile, '-w', '-t', String(timeoutSeconds)],
    (timeoutSeconds + 10) * 1000,
  )
  if (result.status !== 0) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
    throw new EmbeddedServerError(`the server did not start: ${log ? lastLines(log) : failureOf(result)}`, {
      where: logFile,
      hint: `read ${logFile} for the server's own account`,
    })
  }
}

/** Stops the cluster: `fast` rolls back open transactions, `immediate` skips the shutdown checkpoint. */
export function stopCluster(location: ClusterLocation, mode: 'smart' | 'fast' | 'immediate' = 'fast'): void {
  const result = run(location, location.binaries.pgCtl, [
    'stop',
    '-D',
    location.dataDir,
    '-m',
    mode,
    '-w',
    '-t',
    '60',
  ])
  if (result.status !== 0 && readClusterStatus(location.dataDir).running) {
    throw new EmbeddedServerError(`the server did not stop: ${failureOf(result)}`, {
      where: location.dataDir,
    })
  }
}

/**
 * Reads `postmaster.pid` and checks that its process is alive. Fast: no program is
 * started and no connection made, so `strata dev status` answers at once.
 */
export function readClusterStatus(dataDir: string): ClusterStatus {
  const stopped: ClusterStatus = { running: false, pid: undefined, port: undefined, host: undefined }
  let text: string
  try {
    text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8')
  } catch {
    return stopped
  }
  const lines = text.split('\n')
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return stopped
  return { running: true, pid, port: Number(lines[3]) || undefined, host: lines[5]?.trim() || undefined }
}

function lastLines(text: string | null | undefined, count = 3): string {
  return (text ?? '').trim().split('\n').slice(-count).join(' | ')
}

/** What went wrong with a program run: its own words, or why it could not run at all. */
function failureOf(result: SpawnSyncReturns<string>): string {
  if (result.error) return result.error.message
  return lastLines(result.stderr || result.stdout)
}
