import { createHash } from 'node:crypto'
import type pg from 'pg'
import { LockTimeoutError } from '../errors/index.js'
import type { QualifiedName } from './version-table.js'

/** Who holds the migration lock, as pg_stat_activity reports them. */
export interface LockHolder {
  readonly pid: number
  readonly user: string | null
  readonly application: string | null
  readonly clientAddress: string | null
  readonly backendStart: Date | null
  readonly state: string | null
}

/**
 * The advisory lock key of a version table: a stable 64-bit number derived from its
 * qualified name, so every migrator of the same table (and only those) contend.
 */
export function migrationLockKey(table: QualifiedName): string {
  return lockKey('migrate', table)
}

/**
 * The key of the deploy lock: held for a whole `strata deploy` (preflight to watch), so
 * that two pipelines deploying the same database take turns instead of interleaving
 * backups, upgrades and rollbacks. Distinct from the migration lock, which the deploy's
 * own upgrade takes inside it. It is taken in the server's `postgres` database (a
 * session in the deployed database would stop its copy on the server), so the key
 * names the deployed database too.
 */
export function deployLockKey(database: string, table: QualifiedName): string {
  return lockKey(`deploy:${database}`, table)
}

function lockKey(purpose: string, table: QualifiedName): string {
  const digest = createHash('sha256').update(`strata:${purpose}:${table.schema}.${table.name}`).digest()
  return digest.readBigInt64BE(0).toString()
}

export interface AcquireOptions {
  /** Seconds to wait for another migrator before failing. */
  readonly waitSeconds: number
  /** Called when the lock is taken, then every ~10 s while waiting. */
  readonly onWait?: (holder: LockHolder | undefined, waitedSeconds: number) => void
}

/** The migration (or deploy) lock, held by one server session. */
export interface MigrationLock {
  /** The server process that holds it (pg_backend_pid() of the session that took it). */
  readonly pid: number
  release(): Promise<void>
}

/**
 * Takes the session-level migration lock, waiting (and saying who holds it) up to
 * `waitSeconds`. Returns the lock, to be released. Polling with
 * `pg_try_advisory_lock` instead of blocking in `pg_advisory_lock` keeps the wait
 * bounded and lets the holder be reported.
 */
export function acquireMigrationLock(
  client: pg.ClientBase,
  table: QualifiedName,
  options: AcquireOptions,
): Promise<MigrationLock> {
  return acquireAdvisoryLock(client, migrationLockKey(table), options, {
    holder: 'another migrator',
    lock: 'the migration lock',
  })
}

/** Takes the deploy lock (see `deployLockKey`) as `acquireMigrationLock` takes its own. */
export function acquireDeployLock(
  client: pg.ClientBase,
  database: string,
  table: QualifiedName,
  options: AcquireOptions,
): Promise<MigrationLock> {
  return acquireAdvisoryLock(client, deployLockKey(database, table), options, {
    holder: 'another deploy, rollback or restore',
    lock: 'the deploy lock',
  })
}

/**
 * Tries the lock, and turns off `idle_session_timeout` (PostgreSQL 14+; on older servers
 * pg_settings has no such row and nothing is set) for this session. A session lock is
 * held by a session that sits idle on purpose: the deploy lock's for a whole backup,
 * upgrade and watch window. A server or role that ends idle sessions after some minutes
 * would end it, and the lock with it, without a word, and a second deploy would run
 * alongside the first.
 */
const HOLD_LOCK_SQL = `SELECT pg_try_advisory_lock($1::bigint) AS locked, pg_backend_pid() AS pid,
  (SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout') AS idle_timeout`

async function acquireAdvisoryLock(
  client: pg.ClientBase,
  key: string,
  options: AcquireOptions,
  names: { readonly holder: string; readonly lock: string },
): Promise<MigrationLock> {
  const started = Date.now()
  let lastReport = -Infinity
  let delay = 100
  for (;;) {
    const { rows } = await client.query<{ locked: boolean; pid: number }>(HOLD_LOCK_SQL, [key])
    if (rows[0]!.locked) {
      return {
        pid: rows[0]!.pid,
        release: async () => {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined)
        },
      }
    }
    const waited = (Date.now() - started) / 1000
    if (waited >= options.waitSeconds) {
      const holder = await lockHolder(client, key)
      throw new LockTimeoutError(
        `${names.holder} still holds ${names.lock} after ${Math.floor(waited)}s${holder ? `: ${describeHolder(holder)}` : ''}`,
        {
          hint: `wait for it to finish, or inspect it with \`strata diagnose blocking\`; raise migrations.lockWaitTimeout (now ${options.waitSeconds}s) to wait longer`,
        },
      )
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now()
      options.onWait?.(await lockHolder(client, key), waited)
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(1000, delay * 2)
  }
}

/** The session holding the migration lock of `table` right now, if any (no wait, no lock taken). */
export function migrationLockHolder(
  client: pg.ClientBase,
  table: QualifiedName,
): Promise<LockHolder | undefined> {
  return lockHolder(client, migrationLockKey(table))
}

/** The session holding the deploy lock of `database` right now, if any (no wait, no lock taken). */
export function deployLockHolder(
  client: pg.ClientBase,
  database: string,
  table: QualifiedName,
): Promise<LockHolder | undefined> {
  return lockHolder(client, deployLockKey(database, table))
}

async function lockHolder(client: pg.ClientBase, key: string): Promise<LockHolder | undefined> {
  const { rows } = await client.query(
    `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.backend_start, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = (($1::bigint >> 32) & 4294967295)
        AND l.objid::bigint = ($1::bigint & 4294967295)
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [key],
  )
  const row = rows[0]
  if (row === undefined) return undefined
  return {
    pid: row.pid,
    user: row.usename,
    application: row.application_name,
    clientAddress: row.client_addr,
    backendStart: row.backend_start,
    state: row.state,
  }
}

/** "pid 4242 (strata, user assistant, from 10.0.0.5, connected since 10:00:01)" */
export function describeHolder(holder: LockHolder): string {
  const parts = [
    holder.application ? holder.application : undefined,
    holder.user ? `user ${holder.user}` : undefined,
    holder.clientAddress ? `from ${holder.clientAddress}` : undefined,
    holder.backendStart
      ? `connected since ${holder.backendStart.toISOString().replace('T', ' ').slice(0, 19)} UTC`
      : undefined,
  ].filter(Boolean)
  return `pid ${holder.pid}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`
}
