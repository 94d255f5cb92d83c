import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { plural } from '../util/plural.js'
import type { CatalogEntry } from './catalog.js'
import { hashArchive } from './file-hash.js'
import { writeManifest } from './manifest.js'
import { readArchive } from './read-archive.js'
import { restoreTest } from './scratch-restore.js'

export interface BackupVerification {
  readonly id: string
  readonly ok: boolean
  /** One line per check: what passed, or what is wrong. */
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[]
  /** Roles owning objects in the archive (restores onto a server without them need --no-owner). */
  readonly owners: readonly string[]
}

export interface VerifyBackupOptions {
  readonly pgBinDir: string | undefined
  /** Also restore into a scratch database on this server and compare row counts. */
  readonly restoreTestSpec?: ConnectionSpec
  readonly jobs?: number
  /**
   * Default true. False reads only a custom or directory archive's table of contents:
   * for a restore into a throw-away copy, which reads every byte itself, after the
   * checksum has proven the file is the one written.
   */
  readonly fullRead?: boolean
}

/**
 * Is this backup usable? Its checksum against the manifest (the file is the one that was
 * written), then a full read of the archive (readable to the end), and with
 * `restoreTestSpec` a real restore into a scratch database with row counts compared.
 * A backup that passes is marked verified in its manifest; retention keeps the newest
 * verified ones.
 */
export async function verifyBackup(
  entry: CatalogEntry,
  options: VerifyBackupOptions,
): Promise<BackupVerification> {
  const checks: { name: string; ok: boolean; detail: string }[] = []
  const result = (owners: readonly string[] = []): BackupVerification => ({
    id: entry.manifest.id,
    ok: checks.every((check) => check.ok),
    checks,
    owners,
  })
  if (!entry.present) {
    checks.push({ name: 'archive present', ok: false, detail: `${entry.archivePath} is missing` })
    return result()
  }
  const sha256 = await hashArchive(entry.archivePath)
  const intact = sha256 === entry.manifest.sha256
  checks.push({
    name: 'checksum',
    ok: intact,
    detail: intact
      ? `sha256 ${sha256.slice(0, 16)}… matches the manifest`
      : `sha256 ${sha256.slice(0, 16)}… but the manifest recorded ${entry.manifest.sha256.slice(0, 16)}…: the archive changed after it was written (damaged or truncated)`,
  })
  if (!intact) return result()
  if (entry.manifest.format === 'base') {
    const labelled = existsSync(join(entry.archivePath, 'backup_label'))
    checks.push({
      name: 'base backup',
      ok: labelled,
      detail: labelled
        ? 'backup_label present; restored with `strata pitr restore`'
        : 'backup_label is missing: the copy cannot start recovery',
    })
    if (labelled)
      writeManifest(entry.directory, {
        ...entry.manifest,
        verified: { at: new Date().toISOString(), method: 'read' },
      })
    return result()
  }
  const reading = await readArchive(entry, options.pgBinDir, options.fullRead ?? true)
  checks.push({
    name: 'readable',
    ok: reading.ok,
    detail: reading.ok ? 'read to the end without error' : reading.problem!,
  })
  if (!reading.ok) return result()
  let method: 'read' | 'restore-test' = 'read'
  if (options.restoreTestSpec !== undefined) {
    const test = await restoreTest(entry, options.restoreTestSpec, {
      jobs: options.jobs ?? 1,
      pgBinDir: options.pgBinDir,
    })
    checks.push({
      name: 'restore test',
      ok: test.problems.length === 0,
      detail:
        test.problems.length === 0
          ? `restored into a scratch database; row counts of ${plural(test.tables, 'table')} match the manifest`
          : test.problems.join('; '),
    })
    method = 'restore-test'
  }
  const verification = result(reading.owners)
  if (verification.ok)
    writeManifest(entry.directory, { ...entry.manifest, verified: { at: new Date().toISOString(), method } })
  return verification
}
