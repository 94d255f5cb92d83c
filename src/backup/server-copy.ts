import type { ResolvedConfig } from '../config/types.js'
import { cloneDatabase } from '../db/clone-database.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { freeDatabaseNames } from '../db/free-database-names.js'
import { maintenanceConnection } from '../db/maintenance-connection.js'
import { quoteIdent } from '../db/quote.js'
import { fileTimestamp } from './backup-names.js'
import { copyDatabaseProperties, swapWithServicesStopped } from './database-swap.js'

/**
 * A same-server copy of a database (`<db>_predeploy_<time>`), the backup a deploy takes
 * when no pg_dump on this machine can read the server. It undoes a bad migration in
 * seconds, but it lives on the same server: it is no protection against losing the
 * server, which is why a file backup is preferred whenever one can be taken.
 */
export interface ServerCopy {
  readonly database: string
  readonly source: string
  readonly takenAt: Date
}

const COPY_MARK = '_predeploy_'

/** Copies the live database on its own server (no other session may be connected to it). */
export async function takeServerCopy(spec: ConnectionSpec, now = new Date()): Promise<ServerCopy> {
  const admin = await maintenanceConnection(spec)
  try {
    const [name] = (await freeDatabaseNames(
      admin.client,
      spec.database,
      [COPY_MARK],
      fileTimestamp(now),
    )) as [string]
    await cloneDatabase(admin.client, spec.database, name)
    return { database: name, source: spec.database, takenAt: now }
  } finally {
    await admin.close()
  }
}

export interface ServerCopyRestore {
  /** The database that was live, kept under this name. */
  readonly keptAs: string
  readonly sessionsEnded: number
}

/**
 * Puts a server copy back: a fresh copy of it (the copy itself stays, so the restore can
 * be repeated) is swapped in by renaming; the database that was live is kept as
 * `<db>_pre_restore_<time>`. The stop/start hooks run around the swap, as in `strata restore`.
 */
export async function restoreServerCopy(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  copy: string,
  onProgress: (line: string) => void,
): Promise<ServerCopyRestore> {
  const admin = await maintenanceConnection(spec)
  try {
    const [fresh, keptAs] = (await freeDatabaseNames(
      admin.client,
      spec.database,
      ['_restore_', '_pre_restore_'],
      fileTimestamp(new Date()),
    )) as [string, string]
    onProgress(`Copying ${copy} to ${fresh}`)
    await cloneDatabase(admin.client, copy, fresh)
    await copyDatabaseProperties(admin.client, spec.database, fresh)
    const leftover = `the live database ${spec.database} was not touched; remove the copy with: DROP DATABASE ${quoteIdent(fresh)}`
    const sessionsEnded = await swapWithServicesStopped(
      config,
      admin.client,
      { live: spec.database, copy: fresh, keptAs, leftover },
      onProgress,
    )
    return { keptAs, sessionsEnded }
  } finally {
    await admin.close()
  }
}

/**
 * Drops the older server copies of `spec`'s database, keeping the newest `keep`
 * (names sort by their timestamp). Returns the names dropped.
 */
export async function pruneServerCopies(spec: ConnectionSpec, keep: number): Promise<string[]> {
  const admin = await maintenanceConnection(spec)
  try {
    const prefix = `${spec.database.slice(0, 63 - COPY_MARK.length - 15)}${COPY_MARK}`
    const { rows } = await admin.client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname ~ '_\\d{8}_\\d{6}$' ORDER BY datname DESC`,
      [prefix],
    )
    const dropped: string[] = []
    for (const { datname } of rows.slice(keep)) {
      await admin.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`)
      dropped.push(datname)
    }
    return dropped
  } finally {
    await admin.close()
  }
}
