/** The zero-downtime phase a migration belongs to (DESIGN.md §4). */
export type MigrationPhase = 'expand' | 'migrate' | 'contract'

/**
 * What the revision graph needs to know about one migration: read from the file
 * without running it. Everything here is plain data, so it can be cached.
 */
export interface MigrationMeta {
  readonly revision: string
  /** Parents; several make a merge revision, none a base. */
  readonly downRevisions: readonly string[]
  readonly branchLabels: readonly string[]
  /** Revisions or branch labels that must be applied first, without being parents. */
  readonly dependsOn: readonly string[]
  readonly message: string
  /** False for migrations that must run outside a transaction (CONCURRENTLY, VACUUM). */
  readonly transactional: boolean
  readonly phase: MigrationPhase | undefined
  /** Absolute path of the file. */
  readonly file: string
  /** `alembic`: a Python migration Strata reads but cannot run (see alembic-migration-file.ts). */
  readonly format: 'ts' | 'sql' | 'alembic'
  /**
   * sha256 of the file's text with Windows line endings (CRLF) read as LF, recorded when
   * applied, to detect later edits: the same file checked out by git on Windows and on
   * Linux (core.autocrlf) has one checksum.
   */
  readonly checksum: string
  /**
   * sha256 of the file's bytes as they are, when they hold CRLF (and so differ): what
   * Strata recorded before line endings were read as LF, still accepted as unedited.
   */
  readonly bytesChecksum?: string | undefined
  /** Whether the file defines a downgrade. */
  readonly hasDowngrade: boolean
  /** From the file's doc comment, when present (`Create Date: ...`). */
  readonly createDate: string | undefined
  /** Overrides of the `lock` config for this migration, in milliseconds / attempts. */
  readonly lockTimeout?: number | undefined
  readonly statementTimeout?: number | undefined
  readonly lockRetries?: number | undefined
}

/** The revision id shown for "no revision" (before the first migration). */
export const BASE = 'base'
