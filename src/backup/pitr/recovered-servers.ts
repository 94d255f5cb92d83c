import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ResolvedConfig } from '../../config/types.js'
import { readClusterStatus, stopCluster } from '../../embedded/cluster.js'
import { InvalidInputError, OperationFailedError } from '../../errors/index.js'
import { dataDirectoryOwner, serverBinariesFor } from './local-cluster.js'

/** The line `strata pitr restore` writes into a recovered copy's postgresql.auto.conf. */
export const RECOVERED_MARK = '# Written by strata pitr restore'

/** Where `strata pitr restore` puts recovered data directories by default. */
export function recoveredRoot(config: ResolvedConfig): string {
  return join(dirname(resolve(config.backup.directory)), 'pitr')
}

export interface RecoveredServer {
  readonly dataDir: string
  readonly running: boolean
  readonly port: number | undefined
}

/** Whether a data directory is a copy `strata pitr restore` made (never the live server). */
export function isRecoveredCopy(dataDir: string): boolean {
  const conf = join(dataDir, 'postgresql.auto.conf')
  return existsSync(conf) && readFileSync(conf, 'utf8').includes(RECOVERED_MARK)
}

/** The recovered copies under the default directory, running or not. */
export function listRecoveredServers(config: ResolvedConfig): RecoveredServer[] {
  const root = recoveredRoot(config)
  if (!existsSync(root)) return []
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter(isRecoveredCopy)
    .map(describe)
}

/**
 * `strata pitr stop [DIR]`: stops a server `strata pitr restore` started (every running
 * one under the default directory when no DIR is given), and with `remove` deletes its
 * data directory. Refuses any other data directory: the live server is never stopped
 * by this command.
 */
export function stopRecoveredServers(
  config: ResolvedConfig,
  options: { dataDir?: string; remove?: boolean },
): { stopped: RecoveredServer[]; removed: string[] } {
  let targets: RecoveredServer[]
  if (options.dataDir !== undefined) {
    const dataDir = resolve(options.dataDir)
    if (!existsSync(dataDir))
      throw new InvalidInputError(`${dataDir} does not exist; nothing was stopped`, {
        hint: `the recovered copies are under ${recoveredRoot(config)}; \`strata pitr stop\` alone stops every running one`,
      })
    if (!isRecoveredCopy(dataDir))
      throw new InvalidInputError(
        `${dataDir} is not a copy made by strata pitr restore; nothing was stopped`,
        {
          hint: `this command stops only recovered copies (their postgresql.auto.conf says "${RECOVERED_MARK}"); \`strata pitr stop\` alone stops every one under ${recoveredRoot(config)}`,
        },
      )
    targets = [describe(dataDir)]
  } else targets = listRecoveredServers(config).filter((server) => server.running || options.remove)
  const stopped: RecoveredServer[] = []
  const removed: string[] = []
  for (const server of targets) {
    if (server.running) {
      const major = Number(readFileSync(join(server.dataDir, 'PG_VERSION'), 'utf8').trim())
      const owner = dataDirectoryOwner(server.dataDir)
      const binaries = serverBinariesFor(major, owner)
      if (binaries === undefined)
        throw new OperationFailedError(
          `no PostgreSQL ${major} server programs here to stop ${server.dataDir}`,
          {
            hint: `stop it with that version's pg_ctl -D ${server.dataDir} stop`,
          },
        )
      stopCluster({ binaries, dataDir: server.dataDir, user: owner })
      stopped.push(server)
    }
    if (options.remove) {
      rmSync(server.dataDir, { recursive: true, force: true })
      removed.push(server.dataDir)
    }
  }
  return { stopped, removed }
}

function describe(dataDir: string): RecoveredServer {
  const status = readClusterStatus(dataDir)
  return { dataDir, running: status.running, port: status.port }
}
