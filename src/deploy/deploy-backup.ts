import { backupBeforeMigrating } from '../backup/backup-before-migrating.js'
import { ClientProgramError, chooseClientProgram } from '../backup/client-programs.js'
import { restoreBackup } from '../backup/restore.js'
import { restoreServerCopy, takeServerCopy } from '../backup/server-copy.js'
import type { ResolvedConfig } from '../config/types.js'
import type { Connection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'

/**
 * The backup a deploy takes before changing anything: a verified pg_dump archive in the
 * catalog when a compatible pg_dump is on this machine, otherwise a copy of the database
 * on its own server (see `ServerCopy`).
 */
export type DeployBackup =
  | { readonly kind: 'archive'; readonly id: string }
  | { readonly kind: 'server-copy'; readonly id: string }

/** How the deploy will back up, decided in the preflight; `none` stops the deploy. */
export interface BackupPlan {
  readonly kind: 'archive' | 'server-copy' | 'none'
  /** What was found: "pg_dump 16.4 (/usr/lib/postgresql/16/bin/pg_dump), custom format". */
  readonly evidence: string
  /** Why this is second best, for a server copy. */
  readonly caveat: string | undefined
}

/**
 * Chooses the backup: an archive when a pg_dump of the server's major version or newer
 * exists; a server copy when not, the role may copy the database and nobody else is
 * connected to it (PostgreSQL's condition for copying); otherwise `none`, with the
 * pg_dump message (what was found, what to install).
 */
export async function planDeployBackup(config: ResolvedConfig, connection: Connection): Promise<BackupPlan> {
  const major = Math.floor(connection.serverVersionNum / 10000)
  try {
    const pgDump = chooseClientProgram('pg_dump', {
      purpose: `the server (PostgreSQL ${major})`,
      minimumMajor: major,
      pgBinDir: config.pgBinDir,
    })
    return {
      kind: 'archive',
      evidence: `pg_dump ${pgDump.version} → ${config.backup.format} archive in ${config.backup.directory}, verified before migrating`,
      caveat: undefined,
    }
  } catch (error) {
    if (!(error instanceof ClientProgramError)) throw error
    const { rows } = await connection.client.query<{ allowed: boolean; others: number }>(
      `SELECT r.rolsuper OR (r.rolcreatedb AND d.datdba = r.oid) AS allowed,
              (SELECT count(*)::int FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend') AS others
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    )
    const why =
      rows[0]?.allowed !== true
        ? `and ${connection.spec.user} may not copy the database on the server instead`
        : rows[0].others > 0
          ? `and a copy on the server needs the database idle: ${rows[0].others} other session${rows[0].others === 1 ? '' : 's'} connected`
          : undefined
    if (why !== undefined)
      return { kind: 'none', evidence: `${error.message.split(';')[0]}, ${why}`, caveat: error.hint }
    return {
      kind: 'server-copy',
      evidence: `a copy of ${connection.spec.database} on the same server (CREATE DATABASE ... TEMPLATE)`,
      caveat:
        `${error.message.split(';')[0]}; the copy undoes a bad migration but not the loss of the server. ${error.hint ?? ''}`.trim(),
    }
  }
}

/** Takes the planned backup; an archive is read back in full before anything migrates. */
export async function takeDeployBackup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  plan: BackupPlan,
  onLine: (line: string) => void,
): Promise<DeployBackup> {
  if (plan.kind === 'none') throw new Error(`no backup can be taken: ${plan.evidence}`)
  if (plan.kind === 'archive')
    return { kind: 'archive', id: await backupBeforeMigrating(config, spec, onLine) }
  onLine(`Copying ${spec.database} on the server (no pg_dump for this server on this machine)`)
  const copy = await takeServerCopy(spec)
  onLine(`Server copy ${copy.database} taken`)
  return { kind: 'server-copy', id: copy.database }
}

/**
 * Puts the pre-deploy backup back through the safe path: an archive with `strata
 * restore` (restored into a copy, checked, then swapped in), a server copy by copying
 * it and swapping. Either way the database that was live is kept under a new name.
 */
export async function restoreDeployBackup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  backup: DeployBackup,
  onLine: (line: string) => void,
): Promise<{ keptAs: string | undefined }> {
  if (backup.kind === 'archive') {
    const result = await restoreBackup({ config, spec, backup: backup.id, onProgress: onLine })
    return { keptAs: result.keptAs }
  }
  const result = await restoreServerCopy(config, spec, backup.id, onLine)
  return { keptAs: result.keptAs }
}
