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
 * by their manifest (never by file name or file time), except, for each database, the
 * newest `keepVerified` verified whole backups, and its newest whole backup when fewer
 * than that many (or none: `keepVerified` 0) are verified, so pruning never leaves a
 * database without a backup
 * (several databases may share the directory). A tenant schema's backups count as its
 * own whole backups; partial ones (tables, schema or data only: those a downgrade or a
 * table restore takes first) do not count: they cannot stand in for the database.
 */
export function planPrune(
  directory: string,
  retentionDays: number,
  keepVerified: number,
  now = new Date(),
  /** Backups this run took: never deleted by it, whatever the retention (`--retention-days 0`). */
  takenNow: readonly string[] = [],
): PrunePlan {
  const catalog = listBackups(directory)
  const cutoff = now.getTime() - retentionDays * 86_400_000
  const keep = new Map<CatalogEntry, string>()
  const scopes = new Map<string, CatalogEntry[]>()
  for (const entry of catalog.filter((entry) => isWhole(entry.manifest))) {
    const scope = scopeOf(entry.manifest)
    scopes.set(scope, [...(scopes.get(scope) ?? []), entry])
  }
  for (const whole of scopes.values()) {
    // The catalog lists newest first.
    const verified = whole.filter((entry) => entry.manifest.verified !== undefined).slice(0, keepVerified)
    for (const entry of verified) keep.set(entry, `one of the newest ${keepVerified} verified backups`)
    // At least the newest: with keepVerified 0, retention alone could delete every backup.
    if (verified.length < Math.max(1, keepVerified) && !keep.has(whole[0]!))
      keep.set(whole[0]!, 'the newest backup')
  }
  for (const entry of catalog)
    if (takenNow.includes(entry.manifest.id) && !keep.has(entry)) keep.set(entry, 'taken by this run')
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

/** A backup of all of what it covers: a database, a tenant's schema, or (base) a server. */
function isWhole(manifest: BackupManifest): boolean {
  const { options } = manifest
  return !options.schemaOnly && !options.dataOnly && options.tables.length === 0
}

/** What a whole backup stands in for: a server (base backups), a database, or a tenant schema of one. */
function scopeOf(manifest: BackupManifest): string {
  const server = `${manifest.server.host}:${manifest.server.port}`
  if (manifest.format === 'base') return `server ${server}`
  const schemas = [...(manifest.options.schemas ?? [])].sort().join(',')
  return `database ${server}/${manifest.database}${schemas === '' ? '' : ` schemas ${schemas}`}`
}

/** Deletes what `planPrune` chose: each archive, then its manifest. */
export function applyPrune(plan: PrunePlan): void {
  for (const entry of plan.delete) {
    rmSync(entry.archivePath, { recursive: true, force: true })
    rmSync(manifestPath(entry.directory, entry.manifest.id), { force: true })
  }
}
