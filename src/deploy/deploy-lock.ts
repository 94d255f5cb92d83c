import type { ResolvedConfig } from '../config/types.js'
import { acquireDeployLock, deployLockHolder, describeHolder } from '../db/advisory-lock.js'
import { type Connection, connect, withConnection } from '../db/connect.js'
import { type ConnectionSpec, withDatabase } from '../db/connection-spec.js'
import { requireDirectConnection } from '../db/direct-connection.js'
import { runnerTables } from '../runner/tables.js'

/**
 * For a dry run, which changes nothing and so need not take turns: says when a deploy
 * of the database is running now, since what the dry run reads may be half of it.
 */
export async function noteRunningDeploy(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onLine: (line: string) => void,
): Promise<void> {
  const holder = await withConnection(lockSession(spec), (connection) =>
    deployLockHolder(connection.client, spec.database, runnerTables(config).version),
  ).catch(() => undefined)
  if (holder !== undefined)
    onLine(
      `A deploy, rollback or restore of this database is running now: ${describeHolder(holder)}. This dry run does not wait for it: it shows the database as that one has left it so far`,
    )
}

/**
 * Runs `work` (a whole deploy, `strata rollback` or `strata restore`) holding the deploy
 * lock on a session of its own. A second one for the same database waits, saying who
 * holds it, up to `migrations.lockWaitTimeout`, and then runs on what the first left: two
 * pipelines never interleave backups, upgrades, rollbacks and restores. The session is
 * in the server's `postgres` database, since one in the deployed database would stop
 * its copy on the server (PostgreSQL copies only a database nobody is connected to);
 * where that database cannot be reached, the deploy goes on unserialized and says so.
 */
export async function withDeployLock<T>(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onLine: (line: string) => void,
  work: () => Promise<T>,
  /** What takes its turn, for the messages: a deploy, a rollback, a restore. */
  what = 'a deploy',
): Promise<T> {
  requireDirectConnection(spec, what)
  let connection: Connection
  try {
    connection = await connect(lockSession(spec, what.replace(/^an? /, '')))
  } catch (error) {
    onLine(
      `Not serialized with deploys and restores: their lock is held in the postgres database, which this role cannot connect to (${(error as Error).message})`,
    )
    return work()
  }
  try {
    const lock = await acquireDeployLock(connection.client, spec.database, runnerTables(config).version, {
      waitSeconds: config.migrations.lockWaitTimeout,
      onWait: (holder, waited) =>
        onLine(
          `Waiting for another deploy, rollback or restore of this database${holder ? `: ${describeHolder(holder)}` : ''} (${Math.round(waited)}s so far, up to ${config.migrations.lockWaitTimeout}s)`,
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

/**
 * Where the deploy lock lives: a session in the server's `postgres` database (one in the
 * deployed database would stop its copy on the server), named as the deploy's.
 */
function lockSession(spec: ConnectionSpec, role = 'deploy'): ConnectionSpec {
  return { ...withDatabase(spec, 'postgres'), applicationName: `${spec.applicationName} ${role}` }
}
