/** SQLSTATE 55P03 (lock_not_available): `lock_timeout` expired. */
export const LOCK_NOT_AVAILABLE = '55P03'

/** SQLSTATE 40P01 (deadlock_detected): this session was the one rolled back to end a deadlock. */
export const DEADLOCK_DETECTED = '40P01'

/** SQLSTATE 23505 (unique_violation). */
export const UNIQUE_VIOLATION = '23505'

/** Whether an error is a PostgreSQL error with this SQLSTATE. */
export function hasSqlState(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code
}

/** SQLSTATE 55006 (object_in_use): e.g. a template database with other sessions. */
export const OBJECT_IN_USE = '55006'

/** SQLSTATE 23502 (not_null_violation). */
export const NOT_NULL_VIOLATION = '23502'

/** SQLSTATE 23503 (foreign_key_violation). */
export const FOREIGN_KEY_VIOLATION = '23503'

/** SQLSTATE 42501 (insufficient_privilege): the role lacks a privilege, or ownership. */
export const INSUFFICIENT_PRIVILEGE = '42501'

/** SQLSTATE 42703 (undefined_column). */
export const UNDEFINED_COLUMN = '42703'

/** SQLSTATE 42P04 (duplicate_database). */
export const DUPLICATE_DATABASE = '42P04'
