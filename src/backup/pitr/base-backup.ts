import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ResolvedConfig } from '../../config/types.js'
import { connect } from '../../db/connect.js'
import type { ConnectionSpec } from '../../db/connection-spec.js'
import { readVersionRows } from '../../db/version-table.js'
import { OperationFailedError } from '../../errors/index.js'
import { runnerTables } from '../../runner/tables.js'
import { ensureDirectory } from '../../util/ensure-directory.js'
import { STRATA_VERSION } from '../../version.js'
import { newBackupId } from '../backup-names.js'
import { hashArchive, sizeOf } from '../file-hash.js'
import { type BackupManifest, writeManifest } from '../manifest.js'
import { copyDataDirectory } from './copy-data-directory.js'
import { findLocalCluster } from './local-cluster.js'

/**
 * A physical base backup for point-in-time recovery, taken with PostgreSQL's low-level
 * API (`pg_backup_start`, a file copy, `pg_backup_stop`) from a server whose data
 * directory is on this machine, the embedded server's case; `backup_label` is
 * written into the copy, as the API requires. Archiving must be on (`strata pitr setup`):
 * without the WAL from the backup's start on, the copy cannot be made consistent.
 */
export async function createBaseBackup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onProgress: (line: string) => void = () => undefined,
): Promise<BackupManifest> {
  const connection = await connect(spec)
  try {
    const { client, serverVersionNum } = connection
    const archiveMode = (await client.query<{ v: string }>("SELECT current_setting('archive_mode') AS v"))
      .rows[0]!.v
    if (archiveMode === 'off')
      throw new OperationFailedError(
        'WAL archiving is off: a base backup alone cannot be recovered to a point in time',
        {
          hint: 'run `strata pitr setup` first',
        },
      )
    const local = await findLocalCluster(client, serverVersionNum)
    if (local === undefined)
      throw new OperationFailedError(
        `the server at ${spec.host}:${spec.port} does not run on this machine and no compatible pg_basebackup was found`,
        {
          hint: `install the PostgreSQL ${Math.floor(serverVersionNum / 10000)} client programs (pg_basebackup), or take the base backup on the server's machine`,
        },
      )
    const directory = config.backup.directory
    ensureDirectory(directory, 0o700)
    const started = new Date()
    const id = newBackupId(directory, spec.database, started, 'full').replace(
      /(_\d+)?$/,
      (suffix) => `_base${suffix}`,
    )
    const file = `${id}.base`
    const partial = join(directory, `.${id}.partial`)
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]!.v
    const revisions = await readVersionRows(client, runnerTables(config).version)
    const modern = serverVersionNum >= 150000
    onProgress(`Starting base backup of ${local.dataDir} (low-level API)`)
    await client.query(
      modern ? 'SELECT pg_backup_start($1, true)' : 'SELECT pg_start_backup($1, true, false)',
      [`strata ${id}`],
    )
    let stop: { lsn: string; labelfile: string; spcmapfile: string | null; ended: string }
    try {
      copyDataDirectory(local.dataDir, partial)
    } finally {
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
    try {
      writeFileSync(join(partial, 'backup_label'), stop.labelfile, { mode: 0o600 })
      if (stop.spcmapfile) writeFileSync(join(partial, 'tablespace_map'), stop.spcmapfile, { mode: 0o600 })
      const startLsn = /START WAL LOCATION: (\S+)/.exec(stop.labelfile)?.[1] ?? ''
      const timeline = Number(/START TIMELINE: (\d+)/.exec(stop.labelfile)?.[1] ?? 1)
      const sha256 = await hashArchive(partial)
      renameSync(partial, join(directory, file))
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
        finishedAt: new Date(stop.ended).toISOString(),
        rowCounts: {},
        tools: { strata: STRATA_VERSION, pgDump: 'low-level API' },
        base: {
          startLsn,
          stopLsn: stop.lsn,
          endTime: new Date(stop.ended).toISOString(),
          timeline,
          method: modern ? 'pg_backup_start/pg_backup_stop' : 'pg_start_backup/pg_stop_backup',
          walArchive: config.backup.walArchive,
        },
      }
      writeManifest(directory, manifest)
      onProgress(`Base backup ${id}: WAL ${startLsn} to ${stop.lsn}, recoverable from ${stop.ended}`)
      return manifest
    } catch (error) {
      rmSync(partial, { recursive: true, force: true })
      throw error
    }
  } finally {
    await connection.close()
  }
}
