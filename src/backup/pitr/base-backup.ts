import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type pg from 'pg'
import type { ResolvedConfig } from '../../config/types.js'
import { connect } from '../../db/connect.js'
import type { ConnectionSpec } from '../../db/connection-spec.js'
import { readVersionRows } from '../../db/version-table.js'
import type { ClusterLocation } from '../../embedded/cluster.js'
import { OperationFailedError } from '../../errors/index.js'
import { runnerTables } from '../../runner/tables.js'
import { ensureConfiguredDirectory } from '../../util/ensure-directory.js'
import { removeOnExit } from '../../util/remove-on-exit.js'
import { STRATA_VERSION } from '../../version.js'
import { backupPartialPath, reserveBackupId } from '../backup-names.js'
import { connectionArguments, withClientEnvironment } from '../client-environment.js'
import { type ClientProgram, listClientPrograms } from '../client-programs.js'
import { hashArchive, sizeOf } from '../file-hash.js'
import { type BackupManifest, writeManifest } from '../manifest.js'
import { lastLines, runProgram } from '../run-program.js'
import { copyDataDirectory } from './copy-data-directory.js'
import { findLocalCluster } from './local-cluster.js'

/** Where a copy ended: what PITR needs to start from it. */
interface CopyOutcome {
  readonly labelfile: string
  readonly stopLsn: string
  /** Server time when the copy became consistent. */
  readonly ended: string
  readonly method: string
  readonly tool: string
}

/**
 * A physical base backup for point-in-time recovery: with pg_basebackup when one at
 * least as new as the server exists, otherwise with PostgreSQL's low-level API
 * (`pg_backup_start`, a file copy, `pg_backup_stop`, `backup_label` written into the
 * copy) from a server whose data directory is on this machine, the embedded server's
 * case. Archiving must be on (`strata pitr setup`): without the WAL from the backup's
 * start on, the copy cannot be made consistent.
 */
export async function createBaseBackup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onProgress: (line: string) => void = () => undefined,
): Promise<BackupManifest> {
  const connection = await connect(spec)
  try {
    const { client, serverVersionNum } = connection
    const serverMajor = Math.floor(serverVersionNum / 10000)
    const archiveMode = (await client.query<{ v: string }>("SELECT current_setting('archive_mode') AS v"))
      .rows[0]!.v
    if (archiveMode === 'off')
      throw new OperationFailedError(
        'WAL archiving is off: a base backup alone cannot be recovered to a point in time',
        {
          hint: 'run `strata pitr setup` first',
        },
      )
    const pgBasebackup = listClientPrograms(
      'pg_basebackup',
      config.pgBinDir ? { pgBinDir: config.pgBinDir } : {},
    )
      .filter((program) => program.major >= serverMajor)
      .sort((a, b) => a.major - b.major)[0]
    const local = pgBasebackup === undefined ? await findLocalCluster(client, serverVersionNum) : undefined
    if (pgBasebackup === undefined && local === undefined)
      throw new OperationFailedError(
        `no pg_basebackup ${serverMajor} or newer was found, and the server at ${spec.host}:${spec.port} does not run on this machine`,
        {
          hint: `install the PostgreSQL ${serverMajor} client programs (apt-get install postgresql-client-${serverMajor}), or take the base backup on the server's machine`,
        },
      )
    const directory = config.backup.directory
    ensureConfiguredDirectory(directory, 'backup.directory', 0o700)
    const started = new Date()
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]!.v
    const revisions = await readVersionRows(client, runnerTables(config).version, { elsewhere: 'ignore' })
    const id = reserveBackupId(directory, spec.database, started, 'base', 'directory')
    const file = `${id}.base`
    const partial = backupPartialPath(directory, id)
    const forgetPartial = removeOnExit(partial)
    try {
      const copy =
        pgBasebackup !== undefined
          ? await copyWithPgBasebackup(pgBasebackup, spec, client, partial, id, onProgress)
          : await copyWithLowLevelApi(client, serverVersionNum, local!, partial, id, onProgress)
      const startLsn = /START WAL LOCATION: (\S+)/.exec(copy.labelfile)?.[1] ?? ''
      const timeline = Number(/START TIMELINE: (\d+)/.exec(copy.labelfile)?.[1] ?? 1)
      const sha256 = await hashArchive(partial)
      renameSync(partial, join(directory, file))
      forgetPartial()
      const endTime = new Date(copy.ended).toISOString()
      const manifest: BackupManifest = {
        manifestVersion: 1,
        id,
        file,
        database: spec.database,
        server: { host: spec.host, port: spec.port, version, versionNum: serverVersionNum },
        revisions,
        format: 'base',
        options: { schemaOnly: false, dataOnly: false, tables: [], compression: 'none' },
        sizeBytes: sizeOf(join(directory, file)),
        sha256,
        startedAt: started.toISOString(),
        finishedAt: endTime,
        rowCounts: {},
        tools: { strata: STRATA_VERSION, pgDump: copy.tool },
        base: {
          startLsn,
          stopLsn: copy.stopLsn,
          endTime,
          timeline,
          method: copy.method,
          walArchive: config.backup.walArchive,
        },
      }
      writeManifest(directory, manifest)
      onProgress(`Base backup ${id}: WAL ${startLsn} to ${copy.stopLsn}, recoverable from ${copy.ended}`)
      return manifest
    } catch (error) {
      rmSync(partial, { recursive: true, force: true })
      forgetPartial()
      throw error
    }
  } finally {
    await connection.close()
  }
}

async function copyWithPgBasebackup(
  program: ClientProgram,
  spec: ConnectionSpec,
  client: pg.ClientBase,
  partial: string,
  id: string,
  onProgress: (line: string) => void,
): Promise<CopyOutcome> {
  onProgress(`Starting base backup with pg_basebackup ${program.version}`)
  const args = [
    ...connectionArguments(spec, null),
    '-w',
    '-D',
    partial,
    '-Fp',
    '-X',
    'stream',
    '-c',
    'fast',
    '-l',
    `strata ${id}`,
  ]
  const run = await withClientEnvironment(spec, (env) => runProgram(program.path, args, env))
  if (run.code !== 0)
    throw new OperationFailedError(`pg_basebackup failed (exit ${run.code}): ${lastLines(run.stderr)}`, {
      hint: 'it needs a replication connection: max_wal_senders > 0 and a pg_hba.conf "replication" line for this role',
    })
  const ended = (await client.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t
  const manifestFile = join(partial, 'backup_manifest')
  const ranges = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { 'WAL-Ranges'?: { 'End-LSN': string }[] })[
        'WAL-Ranges'
      ]
    : undefined
  return {
    labelfile: readFileSync(join(partial, 'backup_label'), 'utf8'),
    stopLsn: ranges?.at(-1)?.['End-LSN'] ?? '',
    ended,
    method: 'pg_basebackup',
    tool: `pg_basebackup ${program.version} (${program.path})`,
  }
}

async function copyWithLowLevelApi(
  client: pg.ClientBase,
  serverVersionNum: number,
  local: ClusterLocation,
  partial: string,
  id: string,
  onProgress: (line: string) => void,
): Promise<CopyOutcome> {
  const modern = serverVersionNum >= 150000
  onProgress(`Starting base backup of ${local.dataDir} (low-level API)`)
  await client.query(
    modern ? 'SELECT pg_backup_start($1, true)' : 'SELECT pg_start_backup($1, true, false)',
    [`strata ${id}`],
  )
  let stop: { lsn: string; labelfile: string; spcmapfile: string | null; ended: string } | undefined
  try {
    copyDataDirectory(local.dataDir, partial)
  } finally {
    // Always end backup mode, also when the copy failed.
    const result = await client.query<{
      lsn: string
      labelfile: string
      spcmapfile: string | null
      ended: string
    }>(
      modern
        ? 'SELECT lsn::text, labelfile, spcmapfile, clock_timestamp()::text AS ended FROM pg_backup_stop(true)'
        : 'SELECT lsn::text, labelfile, spcmapfile, clock_timestamp()::text AS ended FROM pg_stop_backup(false, true)',
    )
    stop = result.rows[0]!
  }
  writeFileSync(join(partial, 'backup_label'), stop.labelfile, { mode: 0o600 })
  if (stop.spcmapfile) writeFileSync(join(partial, 'tablespace_map'), stop.spcmapfile, { mode: 0o600 })
  return {
    labelfile: stop.labelfile,
    stopLsn: stop.lsn,
    ended: stop.ended,
    method: modern ? 'pg_backup_start/pg_backup_stop' : 'pg_start_backup/pg_stop_backup',
    tool: 'low-level API',
  }
}
