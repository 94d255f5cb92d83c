import { rmSync } from 'node:fs'
import { type CatalogEntry, listBackups } from './catalog.js'
import { type BackupManifest, manifestPath } from './manifest.js'

export interface PrunePlan {
  /** Backups past retention that will be (or were) deleted, oldest first. */
  readonly delete: readonly CatalogEntry[]
  /** Backups past retention kept anyway, with the reason. */
  readonly protected: readonly { readonly entry: CatalogEntry; readonly reason: string }[]
  readonly retentionDays: number
  readonly keepVerified: number
}

/**
 * Which backups retention removes: those that finished more than `retentionDays` ago
 * by their manifest (never by file name or file time), except the newest
 * `keepVerified` verified backups of a whole database, and except the newest whole
 * backup when fewer than that many are verified, so pruning never leaves a database
 * without a backup. Partial backups (a table, a schema, schema or data only: the ones a
 * downgrade or a partial restore takes first) do not count: however many and recent,
 * they cannot stand in for the database.
 */
export function planPrune(
  directory: string,
  retentionDays: number,
  keepVerified: number,
  now = new Date(),
): PrunePlan {
  const catalog = listBackups(directory)
  const cutoff = now.getTime() - retentionDays * 86_400_000
  const whole = catalog.filter((entry) => isWholeDatabase(entry.manifest))
  const verified = whole.filter((entry) => entry.manifest.verified !== undefined).slice(0, keepVerified)
  const keep = new Map<CatalogEntry, string>(
    verified.map((entry) => [entry, `one of the newest ${keepVerified} verified backups`]),
  )
  if (verified.length < keepVerified && whole[0] !== undefined && !keep.has(whole[0]))
    keep.set(whole[0], 'the newest backup')
  const expired = catalog.filter((entry) => Date.parse(entry.manifest.finishedAt) < cutoff).reverse()
  return {
    delete: expired.filter((entry) => !keep.has(entry)),
    protected: expired
      .filter((entry) => keep.has(entry))
      .map((entry) => ({ entry, reason: keep.get(entry)! })),
    retentionDays,
    keepVerified,
  }
}

/** A backup of the whole database (or, for a base backup, the whole server). */
function isWholeDatabase(manifest: BackupManifest): boolean {
  const options = manifest.options
  return (
    !options.schemaOnly &&
    !options.dataOnly &&
    options.tables.length === 0 &&
    (options.schemas?.length ?? 0) === 0
  )
}

/** Deletes what `planPrune` chose: each archive, then its manifest. */
export function applyPrune(plan: PrunePlan): void {
  for (const entry of plan.delete) {
    rmSync(entry.archivePath, { recursive: true, force: true })
    rmSync(manifestPath(entry.directory, entry.manifest.id), { force: true })
  }
}
