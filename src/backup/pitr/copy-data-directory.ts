import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  type Stats,
  symlinkSync,
} from 'node:fs'
import { join } from 'node:path'

/**
 * What a base backup leaves out of a data directory (PostgreSQL's "Making a Base Backup
 * Using the Low Level API"): WAL and runtime state. Directories are kept, empty.
 */
const EMPTIED_DIRECTORIES = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
])
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'strata-server.log',
])

/**
 * Copies a running cluster's data directory for a base backup. Files may change or
 * vanish while they are copied: WAL replay from the backup's start repairs the former,
 * and the latter are skipped.
 */
export function copyDataDirectory(from: string, to: string, top = true): void {
  mkdirSync(to, { recursive: true, mode: 0o700 })
  for (const name of readdirSync(from)) {
    if (top && SKIPPED_FILES.has(name)) continue
    if (name.startsWith('pgsql_tmp') || name === 'pg_internal.init') continue
    const source = join(from, name)
    const target = join(to, name)
    let stat: Stats
    try {
      stat = lstatSync(source)
    } catch {
      continue
    }
    try {
      if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target)
      else if (stat.isDirectory()) {
        if (top && EMPTIED_DIRECTORIES.has(name)) mkdirSync(target, { mode: 0o700 })
        else copyDataDirectory(source, target, false)
      } else copyFileSync(source, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}
