import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type BackupFormat = 'plain' | 'custom' | 'directory'

/** A logical format, or `base`: a physical copy of the data directory for point-in-time recovery. */
export type ArchiveFormat = BackupFormat | 'base'

/** What point-in-time recovery needs to know about a base backup. */
export interface BaseBackupFacts {
  readonly startLsn: string
  readonly stopLsn: string
  /** When the backup ended: the earliest time it can be recovered to. */
  readonly endTime: string
  readonly timeline: number
  /** How it was taken: `pg_basebackup` or the low-level API. */
  readonly method: string
  /** The WAL archive it continues from. */
  readonly walArchive: string
}

/** What a backup holds and how it was made, written beside it as `<id>.manifest.json`. */
export interface BackupManifest {
  readonly manifestVersion: 1
  /** The backup's name without extension, e.g. `assistant_20251126_100001`. */
  readonly id: string
  /** The archive's file (or directory) name inside the backup directory. */
  readonly file: string
  readonly database: string
  readonly server: {
    readonly host: string
    readonly port: number
    readonly version: string
    readonly versionNum: number
  }
  /** The version table's rows when the backup was taken. */
  readonly revisions: readonly string[]
  readonly format: ArchiveFormat
  readonly options: {
    readonly schemaOnly: boolean
    readonly dataOnly: boolean
    readonly tables: readonly string[]
    /** Only these schemas (a tenant schema's backup); absent for whole-database backups. */
    readonly schemas?: readonly string[]
    /** Tables whose rows were left out (`--exclude-table-data`): restored empty. Absent when none. */
    readonly excludeTableData?: readonly string[]
    readonly compression: string
    readonly jobs?: number
  }
  readonly sizeBytes: number
  /** sha256 of the file; for a directory, of its files' names and hashes in order. */
  readonly sha256: string
  readonly startedAt: string
  readonly finishedAt: string
  /** `schema.table` → rows, counted in the same snapshot pg_dump read. */
  readonly rowCounts: Readonly<Record<string, number>>
  /** Tables (`schema.table`) whose rows `excludeTableData` left out: 0 in `rowCounts`, restored empty. */
  readonly rowsLeftOut?: readonly string[]
  readonly tools: { readonly strata: string; readonly pgDump: string }
  /** Base backups only. */
  readonly base?: BaseBackupFacts
  /** The last successful verification. */
  readonly verified?: { readonly at: string; readonly method: 'read' | 'restore-test' }
}

/** Every row the backup holds, by its manifest's counts. */
export function totalRows(manifest: Pick<BackupManifest, 'rowCounts'>): number {
  return Object.values(manifest.rowCounts).reduce((sum, count) => sum + count, 0)
}

export function manifestPath(directory: string, id: string): string {
  return join(directory, `${id}.manifest.json`)
}

/** Writes a manifest (0600) through a temporary name, so a crash never leaves half of one. */
export function writeManifest(directory: string, manifest: BackupManifest): void {
  const target = manifestPath(directory, manifest.id)
  const partial = `${target}.partial`
  try {
    writeFileSync(partial, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  }
  renameSync(partial, target)
}

/** What a backup directory holds: the manifests read, and those that cannot be, with why. */
function scanManifests(directory: string): {
  manifests: BackupManifest[]
  unreadable: { file: string; reason: string }[]
} {
  const manifests: BackupManifest[] = []
  const unreadable: { file: string; reason: string }[] = []
  if (!existsSync(directory)) return { manifests, unreadable }
  for (const name of readdirSync(directory).sort()) {
    if (!name.endsWith('.manifest.json')) continue
    try {
      const manifest = JSON.parse(readFileSync(join(directory, name), 'utf8')) as BackupManifest
      if (manifest.manifestVersion === 1 && typeof manifest.id === 'string') manifests.push(manifest)
      else unreadable.push({ file: name, reason: 'not a Strata manifest (manifestVersion 1 with an id)' })
    } catch (error) {
      unreadable.push({ file: name, reason: (error as Error).message })
    }
  }
  return { manifests, unreadable }
}

/**
 * The manifests in `directory` that cannot be read (damaged JSON, not a Strata manifest),
 * with why. Strata cannot vouch for their backups, so the catalog leaves them out — not
 * listed, verified, restored or pruned — and `strata backups list` says so rather than
 * letting them vanish.
 */
export function unreadableManifests(directory: string): { file: string; reason: string }[] {
  return scanManifests(directory).unreadable
}

/** Every readable manifest in `directory`, newest first by the time the backup finished. */
export function readManifests(directory: string): BackupManifest[] {
  return scanManifests(directory).manifests.sort(
    (a, b) => Date.parse(b.finishedAt) - Date.parse(a.finishedAt),
  )
}
