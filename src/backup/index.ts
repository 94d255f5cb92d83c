/** Backups, their catalog and retention, and restores: what `strata backup`, `backups` and `restore` run. */

export type { CatalogEntry } from './catalog.js'
export { findBackup, listBackups } from './catalog.js'
export type { BackupOptions, BackupResult } from './create-backup.js'
export { createBackup } from './create-backup.js'
export type { BackupFormat, BackupManifest } from './manifest.js'
export type { PrunePlan } from './prune-backups.js'
export { applyPrune, planPrune } from './prune-backups.js'
export type { RestoreOptions, RestoreResult } from './restore.js'
export { restoreBackup } from './restore.js'
export type { BackupVerification, VerifyBackupOptions } from './verify-backup.js'
export { verifyBackup } from './verify-backup.js'
