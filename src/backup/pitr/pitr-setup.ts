import type { ResolvedConfig } from '../../config/types.js'
import { connect } from '../../db/connect.js'
import type { ConnectionSpec } from '../../db/connection-spec.js'
import { type ClusterLocation, startCluster, stopCluster } from '../../embedded/cluster.js'
import { OperationFailedError } from '../../errors/index.js'
import { findLocalCluster } from './local-cluster.js'
import { archiveCommand, prepareWalArchive } from './wal-archive.js'

export interface PitrSetupResult {
  readonly walArchive: string
  /** Settings changed, as `name: old → new`. */
  readonly changed: readonly string[]
  /** wal_level or archive_mode changed: they take effect at a restart. */
  readonly restartNeeded: boolean
  /** Strata restarted the server (it runs on this machine). */
  readonly restarted: boolean
}

/**
 * Turns on continuous archiving (the guide's PITR settings): wal_level replica,
 * archive_mode on, and an archive_command into `backup.walArchive`, with ALTER SYSTEM.
 * archive_command takes effect at a reload; wal_level and archive_mode need a restart,
 * which Strata does itself for a server on this machine and otherwise says so.
 */
export async function setupPitr(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  options: { restart?: boolean } = {},
): Promise<PitrSetupResult> {
  const connection = await connect(spec)
  let local: ClusterLocation | undefined
  const changed: string[] = []
  let restartNeeded = false
  try {
    const { client } = connection
    const superuser =
      (await client.query<{ s: string }>("SELECT current_setting('is_superuser') AS s")).rows[0]!.s === 'on'
    if (!superuser)
      throw new OperationFailedError(`${spec.user} is not a superuser: ALTER SYSTEM needs one`, {
        hint: 'run `strata pitr setup` as a superuser, or set wal_level, archive_mode and archive_command in postgresql.conf',
      })
    local = await findLocalCluster(client, connection.serverVersionNum)
    if (local === undefined)
      throw new OperationFailedError(
        `the server at ${spec.host}:${spec.port} does not run on this machine, so Strata cannot give it a WAL archive directory`,
        {
          hint: `on the server: set wal_level = replica, archive_mode = on and archive_command = '${archiveCommand('/path/to/archive')}' in postgresql.conf, then restart it`,
        },
      )
    prepareWalArchive(config.backup.walArchive, local.user)
    const wanted: [string, string, boolean][] = [
      ['wal_level', 'replica', true],
      ['archive_mode', 'on', true],
      ['archive_command', archiveCommand(config.backup.walArchive), false],
    ]
    for (const [name, value, needsRestart] of wanted) {
      const current = (await client.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!
        .v
      const satisfied =
        name === 'wal_level' ? current === 'replica' || current === 'logical' : current === value
      if (satisfied) continue
      await client.query(`ALTER SYSTEM SET ${name} = '${value.replace(/'/g, "''")}'`)
      changed.push(`${name}: ${current || '(empty)'} → ${value}`)
      if (needsRestart) restartNeeded = true
    }
    await client.query('SELECT pg_reload_conf()')
  } finally {
    await connection.close()
  }
  let restarted = false
  if (restartNeeded && options.restart !== false) {
    stopCluster(local, 'fast')
    startCluster(local)
    restarted = true
  }
  return { walArchive: config.backup.walArchive, changed, restartNeeded, restarted }
}
