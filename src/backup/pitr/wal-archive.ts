import { chownSync, existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerUser } from '../../embedded/server-user.js'
import { ensureConfiguredDirectory } from '../../util/ensure-directory.js'

/** A WAL segment file name: timeline, log and segment, 8 hex digits each. */
const SEGMENT = /^[0-9A-F]{24}$/

/** Creates the archive directory, owned by the server's account so the server can write it. */
export function prepareWalArchive(directory: string, owner: ServerUser | undefined): void {
  ensureConfiguredDirectory(directory, 'backup.walArchive', 0o700)
  if (owner !== undefined) chownSync(directory, owner.uid, owner.gid)
}

/** The archive_command Strata sets: never overwrites a segment already archived (PostgreSQL's documented form). */
export function archiveCommand(directory: string): string {
  const quoted = directory.replace(/'/g, "'\\''")
  return `test ! -f '${quoted}/%f' && cp %p '${quoted}/%f'`
}

/** The restore_command that reads the same archive back. */
export function restoreCommand(directory: string): string {
  return `cp '${directory.replace(/'/g, "'\\''")}/%f' %p`
}

/** The newest archived segment and when it was archived (its file time), if any. */
export function newestSegment(directory: string): { name: string; archivedAt: Date } | undefined {
  if (!existsSync(directory)) return undefined
  let newest: { name: string; archivedAt: Date } | undefined
  for (const name of readdirSync(directory)) {
    if (!SEGMENT.test(name)) continue
    const archivedAt = statSync(join(directory, name)).mtime
    if (newest === undefined || name > newest.name) newest = { name, archivedAt }
  }
  return newest
}
