import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { type BackupFormat, manifestPath } from './manifest.js'

/** `20251126_100001`, local time, as the guide names backups. */
export function fileTimestamp(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
}

/** The archive's extension: `.sql.gz` (the guide's), `.sql`, `.dump`, or `.dir` for a directory. */
export function archiveExtension(format: BackupFormat, compressed: boolean): string {
  if (format === 'plain') return compressed ? '.sql.gz' : '.sql'
  return format === 'custom' ? '.dump' : '.dir'
}

/** Where a backup is written until it is complete: renamed to its archive name on success. */
export function backupPartialPath(directory: string, id: string): string {
  return join(directory, `.${id}.partial`)
}

/**
 * A new backup id, `<db>_<YYYYMMDD_HHMMSS>`, with `_schema`, `_data`, `_tables` or `_base`
 * for the other kinds, and `_2`, `_3`... when another backup started in the same second.
 * The id is reserved by creating its partial file (0600) or directory (0700) with an
 * exclusive create: two backups started at once (a cron job and a deploy) never share
 * a name, so neither can remove or overwrite the other's archive.
 */
export function reserveBackupId(
  directory: string,
  database: string,
  date: Date,
  kind: 'full' | 'schema' | 'data' | 'tables' | 'base',
  partial: 'file' | 'directory',
): string {
  const safeName = database.replace(/[^A-Za-z0-9_.-]/g, '_')
  const base = `${safeName}_${fileTimestamp(date)}${kind === 'full' ? '' : `_${kind}`}`
  for (let n = 1; ; n += 1) {
    const id = n === 1 ? base : `${base}_${n}`
    if (existsSync(manifestPath(directory, id))) continue
    try {
      if (partial === 'directory') mkdirSync(backupPartialPath(directory, id), { mode: 0o700 })
      else closeSync(openSync(backupPartialPath(directory, id), 'wx', 0o600))
      return id
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

/** The database of a whole backup's id, `<db>_YYYYMMDD_HHMMSS` (ours and the guide's), or undefined. */
export function databaseOfBackupId(id: string): string | undefined {
  return /^(.+)_\d{8}_\d{6}$/.exec(id)?.[1]
}
