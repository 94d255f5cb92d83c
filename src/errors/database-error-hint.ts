/**
 * A PostgreSQL error that reached the CLI without a command wording it (a read of
 * Strata's tables, a catalog query): what it means and what to do, by SQLSTATE. The
 * message itself already says which object; undefined for errors without a known fix.
 */
export function databaseErrorHint(error: unknown): { code: string; hint: string | undefined } | undefined {
  const code = (error as { code?: unknown })?.code
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined
  // The machine's own errors have codes too, some of five letters (EROFS, EPERM).
  if ((error as NodeJS.ErrnoException).syscall !== undefined) return undefined
  return { code, hint: HINTS[code] ?? HINTS[code.slice(0, 2)] }
}

const HINTS: Record<string, string> = {
  '42501':
    'the connecting role lacks that privilege: GRANT it to the role (e.g. GRANT SELECT, INSERT, UPDATE, DELETE ON <table> TO <role>), or connect as a role that has it',
  '25006':
    'this session may not write: the server is a read-only standby, or default_transaction_read_only is on; connect to the primary',
  '53300': 'the server has no free connection slot: wait for sessions to end, or raise max_connections',
  '57014': 'a statement_timeout or a cancel request stopped the statement; run the command again',
  '55P03':
    'another session holds (or waits for) a lock on a table this command reads, and the read gave up rather than queue behind it: `strata diagnose blocking` shows which session; run the command again once it is done',
  '40P01': 'a deadlock with another session: run the command again',
  '53': 'the server is short of a resource (disk, memory, connections): see its log',
  '08': 'the connection to the server failed: check that it runs and is reachable, then run the command again',
}
