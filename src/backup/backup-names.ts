import { existsSync } from 'node:fs'
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

/**
 * A new backup id: `<db>_<YYYYMMDD_HHMMSS>`, with `_schema`, `_data` or `_tables` for
 * partial backups, and `_2`, `_3`... when two start in the same second.
 */
export function newBackupId(
  directory: string,
  database: string,
  date: Date,
  kind: 'full' | 'schema' | 'data' | 'tables',
): string {
  const safeName = database.replace(/[^A-Za-z0-9_.-]/g, '_')
  const base = `${safeName}_${fileTimestamp(date)}${kind === 'full' ? '' : `_${kind}`}`
  let id = base
  for (
    let n = 2;
    existsSync(manifestPath(directory, id)) || existsSync(join(directory, `.${id}.partial`));
    n += 1
  )
    id = `${base}_${n}`
  return id
}

/** The database of a whole backup's id, `<db>_YYYYMMDD_HHMMSS` (ours and the guide's), or undefined. */
export function databaseOfBackupId(id: string): string | undefined {
  return /^(.+)_\d{8}_\d{6}$/.exec(id)?.[1]
}
