import type { ResolvedConfig } from '../config/types.js'
import { acquireDeployLock, describeHolder } from '../db/advisory-lock.js'
import { type Connection, connect } from '../db/connect.js'
import { type ConnectionSpec, withDatabase } from '../db/connection-spec.js'
import { requireDirectConnection } from '../db/direct-connection.js'
import { runnerTables } from '../runner/tables.js'

/**
 * Runs `work` (a whole deploy, or `strata rollback`) holding the deploy lock on a
 * session of its own. A second deploy of the same database waits, saying who deploys,
 * up to `migrations.lockWaitTimeout`, and then runs its own preflight on what the first
 * left: two pipelines never interleave backups, upgrades and rollbacks. The session is
 * in the server's `postgres` database, since one in the deployed database would stop
 * its copy on the server (PostgreSQL copies only a database nobody is connected to);
 * where that database cannot be reached, the deploy goes on unserialized and says so.
 */
export async function withDeployLock<T>(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onLine: (line: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  requireDirectConnection(spec, 'a deploy')
  let connection: Connection
  try {
    connection = await connect({
      ...withDatabase(spec, 'postgres'),
      applicationName: `${spec.applicationName} deploy`,
    })
  } catch (error) {
    onLine(
      `Not serialized with other deploys: the deploy lock is held in the postgres database, which this role cannot connect to (${(error as Error).message})`,
    )
    return work()
  }
  try {
    const lock = await acquireDeployLock(connection.client, spec.database, runnerTables(config).version, {
      waitSeconds: config.migrations.lockWaitTimeout,
      onWait: (holder, waited) =>
        onLine(
          `Waiting for another deploy of this database${holder ? `: ${describeHolder(holder)}` : ''} (${Math.round(waited)}s so far, up to ${config.migrations.lockWaitTimeout}s)`,
        ),
    })
    try {
      return await work()
    } finally {
      await lock.release()
    }
  } finally {
    await connection.close()
  }
}
