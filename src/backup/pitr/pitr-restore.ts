import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { ResolvedConfig } from '../../config/types.js'
import { type ClusterLocation, SERVER_LOG_FILE, startCluster } from '../../embedded/cluster.js'
import { findFreePort } from '../../embedded/port.js'
import { canServerUserEnter, serverUser } from '../../embedded/server-user.js'
import { InvalidInputError, OperationFailedError } from '../../errors/index.js'
import { ensureDirectory } from '../../util/ensure-directory.js'
import { listBackups } from '../catalog.js'
import type { BackupManifest } from '../manifest.js'
import { copyDataDirectory } from './copy-data-directory.js'
import { serverBinariesFor } from './local-cluster.js'
import { RECOVERED_MARK } from './recovered-servers.js'
import { newestSegment, restoreCommand } from './wal-archive.js'

export interface PitrRestoreOptions {
  readonly config: ResolvedConfig
  /** The moment to recover to (any form `Date` parses; with a zone, or local time). */
  readonly targetTime: string
  /** What the recovered server does at the target. Default `promote`. */
  readonly targetAction?: 'promote' | 'pause' | 'shutdown'
  /** A base backup id; default the newest one that ended before the target. */
  readonly base?: string
  /** Where the recovered data directory goes; must not exist yet. */
  readonly dataDir: string
  /** Start the recovered server and confirm the target (default true). */
  readonly start?: boolean
  readonly onProgress?: (line: string) => void
}

export interface PitrRestoreResult {
  readonly base: string
  readonly dataDir: string
  readonly target: string
  /** When started: its port on 127.0.0.1, and the server's own account of where recovery stopped. */
  readonly port?: number
  readonly stoppedAt?: string
}

/**
 * Point-in-time recovery into a new data directory: the chosen base backup, a
 * `recovery.signal`, and `restore_command` / `recovery_target_time` settings. It refuses
 * a target earlier than the end of every base backup and a target the archived WAL
 * does not reach yet. With `start`, the recovered server starts on a free port
 * (archiving off, so it cannot write into the original's archive) and Strata waits
 * until recovery reached the target and reports where it stopped.
 */
export async function restorePointInTime(options: PitrRestoreOptions): Promise<PitrRestoreResult> {
  const progress = options.onProgress ?? (() => undefined)
  const target = new Date(options.targetTime)
  if (Number.isNaN(target.getTime()))
    throw new InvalidInputError(`--target-time "${options.targetTime}" is not a time`, {
      hint: "write it as '2026-11-26 10:00:00' (local time) or '2026-11-26T10:00:00Z'",
    })
  const bases = listBackups(options.config.backup.directory).filter(
    (entry) => entry.manifest.format === 'base' && entry.present,
  )
  if (bases.length === 0)
    throw new InvalidInputError(`no base backups in ${options.config.backup.directory}`, {
      hint: 'take one with `strata backup --format base`',
    })
  const chosen =
    options.base === undefined
      ? bases.find((entry) => Date.parse(entry.manifest.base!.endTime) <= target.getTime())
      : bases.find((entry) => entry.manifest.id === options.base)
  if (chosen === undefined) {
    if (options.base !== undefined)
      throw new InvalidInputError(`no base backup "${options.base}"`, {
        hint: '`strata backups list` shows them',
      })
    const oldest = bases.at(-1)!.manifest
    throw new InvalidInputError(
      `the target ${target.toISOString()} is earlier than the end of the oldest base backup (${oldest.id}, ended ${oldest.base!.endTime}): a base backup can only be recovered forward from its end`,
      { hint: 'pick a later target, or restore a logical backup taken before it' },
    )
  }
  const manifest: BackupManifest = chosen.manifest
  const facts = manifest.base!
  if (Date.parse(facts.endTime) > target.getTime())
    throw new InvalidInputError(
      `the target ${target.toISOString()} is earlier than the end of base backup ${manifest.id} (${facts.endTime})`,
      {
        hint: 'pick a later target or an older base backup',
      },
    )
  const newest = newestSegment(facts.walArchive)
  if (newest === undefined || newest.archivedAt.getTime() < target.getTime())
    throw new InvalidInputError(
      `the archived WAL does not reach ${target.toISOString()} yet: the newest segment${newest ? ` (${newest.name}) was archived at ${newest.archivedAt.toISOString()}` : ' is missing'}`,
      {
        hint: "the rest is still in the server's pg_wal: run SELECT pg_switch_wal() on it, wait for the archiver, then retry",
      },
    )
  if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0)
    throw new InvalidInputError(`${options.dataDir} is not empty`, {
      hint: 'give --data-dir a new directory',
    })

  // Parents keep the default mode so the server's account can reach the directory.
  ensureDirectory(dirname(options.dataDir))
  const owner = serverUser()
  if (!canServerUserEnter(dirname(options.dataDir), owner))
    throw new InvalidInputError(
      `the server's account (${owner?.name}) cannot reach ${dirname(options.dataDir)}`,
      {
        hint: 'give --data-dir a directory under one it can enter, e.g. under /var/lib/postgresql or the temp directory',
      },
    )
  progress(`Copying base backup ${manifest.id} into ${options.dataDir}`)
  copyDataDirectory(chosen.archivePath, options.dataDir)
  // copyDataDirectory skips backup_label at the top level: recovery needs it here.
  writeFileSync(
    join(options.dataDir, 'backup_label'),
    readFileSync(join(chosen.archivePath, 'backup_label')),
    { mode: 0o600 },
  )
  if (existsSync(join(chosen.archivePath, 'tablespace_map')))
    writeFileSync(
      join(options.dataDir, 'tablespace_map'),
      readFileSync(join(chosen.archivePath, 'tablespace_map')),
      { mode: 0o600 },
    )
  writeFileSync(join(options.dataDir, 'recovery.signal'), '', { mode: 0o600 })
  const port = await findFreePort()
  const targetText = target.toISOString().replace('T', ' ').replace('Z', '+00')
  appendFileSync(
    join(options.dataDir, 'postgresql.auto.conf'),
    [
      '',
      RECOVERED_MARK,
      `restore_command = '${restoreCommand(facts.walArchive).replace(/'/g, "''")}'`,
      `recovery_target_time = '${targetText}'`,
      `recovery_target_action = '${options.targetAction ?? 'promote'}'`,
      "archive_mode = 'off'",
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      '',
    ].join('\n'),
  )
  if (owner !== undefined) chownTree(options.dataDir, owner.uid, owner.gid)
  chmodSync(options.dataDir, 0o700)
  if (options.start === false) return { base: manifest.id, dataDir: options.dataDir, target: targetText }

  const binaries = serverBinariesFor(Math.floor(manifest.server.versionNum / 10000), owner)
  if (binaries === undefined)
    throw new OperationFailedError(
      `no PostgreSQL ${Math.floor(manifest.server.versionNum / 10000)} server programs on this machine to start the recovered copy`,
      {
        hint: `the data directory is ready: start it with that version's pg_ctl -D ${options.dataDir} start`,
      },
    )
  const location: ClusterLocation = { binaries, dataDir: options.dataDir, user: owner }
  progress(`Starting the recovered server on 127.0.0.1:${port}; replaying WAL to ${targetText}`)
  try {
    startCluster(location, 120)
  } catch (error) {
    const log = readLog(options.dataDir)
    if (/recovery ended before configured recovery target was reached/.test(log))
      throw new OperationFailedError('the archived WAL ends before the target: recovery could not reach it', {
        hint: 'archive the newest WAL on the server (SELECT pg_switch_wal()) and retry',
      })
    throw error
  }
  const stoppedAt = await waitForTarget(options.dataDir, options.targetAction ?? 'promote')
  progress(`✓ Recovery reached the target: ${stoppedAt}`)
  return { base: manifest.id, dataDir: options.dataDir, target: targetText, port, stoppedAt }
}

function readLog(dataDir: string): string {
  const file = join(dataDir, SERVER_LOG_FILE)
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

/** Waits for the server's own "recovery stopping ..." line and returns it. */
async function waitForTarget(dataDir: string, action: string): Promise<string> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const log = readLog(dataDir)
    const stopping = /recovery stopping (before|after) [^\n]*/.exec(log)?.[0]
    const done =
      action === 'promote'
        ? /database system is ready to accept connections|selected new timeline ID/.test(
            log.slice(log.indexOf('recovery stopping')),
          )
        : true
    if (stopping && done) return stopping
    if (/FATAL/.test(log) && /recovery/.test(log) && !stopping) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new OperationFailedError('recovery did not report reaching the target', {
    where: join(dataDir, SERVER_LOG_FILE),
    hint: 'read the server log for its account of the recovery',
  })
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid)
  if (!statSync(path).isDirectory()) return
  for (const name of readdirSync(path)) {
    const child = join(path, name)
    try {
      chownTree(child, uid, gid)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}
