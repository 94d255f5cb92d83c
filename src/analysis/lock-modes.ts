/**
 * PostgreSQL's table-level lock modes, weakest first (the order of the
 * conflict table in "Explicit Locking" of the PostgreSQL manual).
 */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const

export type LockMode = (typeof LOCK_MODES)[number]

/** What ordinary traffic a lock mode stops while it is held (or queued). */
export interface BlockedWork {
  /** Plain SELECTs. */
  readonly reads: boolean
  /** INSERT, UPDATE, DELETE. */
  readonly writes: boolean
  /** Schema changes, index builds, VACUUM. */
  readonly ddl: boolean
}

export function lockRank(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode)
}

export function strongerLock(a: LockMode, b: LockMode): LockMode {
  return lockRank(a) >= lockRank(b) ? a : b
}

/**
 * Reads conflict only with ACCESS EXCLUSIVE; writes (ROW EXCLUSIVE) with SHARE and
 * above; every mode from SHARE UPDATE EXCLUSIVE up conflicts with itself, so with DDL.
 */
export function blockedBy(mode: LockMode): BlockedWork {
  const rank = lockRank(mode)
  return {
    reads: mode === 'ACCESS EXCLUSIVE',
    writes: rank >= lockRank('SHARE'),
    ddl: rank >= lockRank('ROW EXCLUSIVE'),
  }
}

/** "reads, writes, DDL" — what a lock blocks, for people. */
export function describeBlocked(mode: LockMode): string {
  const blocked = blockedBy(mode)
  const parts = [blocked.reads && 'reads', blocked.writes && 'writes', blocked.ddl && 'DDL'].filter(Boolean)
  return parts.length === 0 ? 'only ACCESS EXCLUSIVE' : parts.join(', ')
}

/** The `LOCK TABLE ... IN <mode> MODE` numbers of the parse tree (lockdefs.h). */
export function lockModeFromNumber(mode: number): LockMode {
  return LOCK_MODES[Math.min(Math.max(mode, 1), 8) - 1]!
}
