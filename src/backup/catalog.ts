import { existsSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { InvalidInputError } from '../errors/index.js'
import { didYouMean } from '../util/closest-match.js'
import { type BackupManifest, readManifests } from './manifest.js'

/** A backup found in the catalog: its manifest, and where its archive and manifest are. */
export interface CatalogEntry {
  readonly manifest: BackupManifest
  readonly directory: string
  readonly archivePath: string
  /** False when the manifest is there but the archive is gone. */
  readonly present: boolean
}

/** The backups in `directory`, newest first (by the manifest's time, never by file name). */
export function listBackups(directory: string): CatalogEntry[] {
  return readManifests(directory).map((manifest) => entryOf(directory, manifest))
}

/** The names archives have: the guide's `.sql.gz`, `.sql`, pg_dump's `.dump`, `.backup`, `.tar`. */
const ARCHIVE_FILE = /\.(sql\.gz|sql|dump|tar|backup)$/

/** An archive's name without its extension: `assistant_20251126_100001.sql.gz` → `assistant_20251126_100001`. */
export function archiveStem(name: string): string {
  return name.replace(ARCHIVE_FILE, '')
}

/** A path as given, or else the name of a file in the backup directory; undefined when neither exists. */
export function archivePathOf(reference: string, directory: string): string | undefined {
  return [resolve(reference), join(directory, reference)].find((candidate) => existsSync(candidate))
}

/**
 * Archives in `directory` that no manifest of `catalog` (its `listBackups`) names
 * (`.sql.gz`, `.sql`, `.dump`, `.tar`, dump directories): another tool's backups, such
 * as the guide's `backup_database.sh` wrote. Strata cannot check them before a restore, so it does not restore or prune
 * them until `strata backups import` reads them and writes their manifests; `strata backups list`
 * names them so that they do not seem to be missing.
 */
export function foreignArchives(directory: string, catalog: readonly CatalogEntry[]): string[] {
  if (!existsSync(directory)) return []
  const named = new Set(catalog.map((entry) => entry.manifest.file))
  return readdirSync(directory, { withFileTypes: true })
    .filter((item) =>
      item.isDirectory() ? existsSync(join(directory, item.name, 'toc.dat')) : ARCHIVE_FILE.test(item.name),
    )
    .map((item) => item.name)
    .filter((name) => !named.has(name) && !name.startsWith('.'))
    .sort()
}

/** The catalog entry of a manifest in `directory`. */
export function entryOf(directory: string, manifest: BackupManifest): CatalogEntry {
  const archivePath = join(directory, manifest.file)
  return { manifest, directory, archivePath, present: existsSync(archivePath) }
}

/**
 * A backup named by the user: a catalog id (`assistant_20251126_100001`), `latest`,
 * the path of an archive (its manifest must sit beside it) or of a manifest. Anything else is an
 * input error naming the closest id.
 */
export function findBackup(reference: string, directory: string): CatalogEntry {
  const catalog = listBackups(directory)
  if (reference === 'latest') {
    const newest = catalog[0]
    if (newest === undefined)
      throw new InvalidInputError(`no backups in ${directory}`, { hint: 'take one with `strata backup`' })
    return newest
  }
  const byId = catalog.find((entry) => entry.manifest.id === reference)
  if (byId !== undefined) return byId
  // A path, or the name of a file in the backup directory (`backups list` names those without a manifest).
  const path = archivePathOf(reference, directory)
  if (path !== undefined) {
    const beside = dirname(path)
    // The archive, or its manifest: either names the backup.
    const entry = listBackups(beside).find(
      (candidate) =>
        candidate.manifest.file === basename(path) ||
        `${candidate.manifest.id}.manifest.json` === basename(path),
    )
    if (entry !== undefined) return entry
    // An archive without its manifest: nothing to check it against until it is imported.
    throw new InvalidInputError(
      `${reference} has no Strata manifest beside it, so it cannot be checked before restoring`,
      {
        hint: `import it first (the whole archive is read and its tables counted): strata backups import ${reference}`,
      },
    )
  }
  throw new InvalidInputError(
    `no backup "${reference}" in ${directory}.${didYouMean(
      reference,
      catalog.map((entry) => entry.manifest.id),
    )}`,
    { hint: '`strata backups list` shows the ids; a path to an archive works too' },
  )
}
