import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { acquireMigrationLock, describeHolder, type MigrationLock } from '../db/advisory-lock.js'
import { trackSession, wasCancelled } from '../db/cancellable-sessions.js'
import { type Connection, connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl } from '../db/connection-spec.js'
import { requireDirectConnection } from '../db/direct-connection.js'
import { createHistoryTableSql, readAppliedChecksums } from '../db/history-table.js'
import { quoteIdent, quoteLiteral, sqlIdent, sqlQualified } from '../db/quote.js'
import { INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import { createVersionTableSql, qualified, readVersionRows } from '../db/version-table.js'
import { InvalidInputError, OperationFailedError } from '../errors/index.js'
import { requireRunnable } from '../graph/alembic-migration-file.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import type { BackfillProgress } from '../ops/backfill.js'
import { STRATA_VERSION } from '../version.js'
import { describeDrift, detectDrift } from './drift.js'
import { lockSettings } from './lock-retry.js'
import { LockWatcher } from './lock-watcher.js'
import { explainLostConnection, isConnectionLoss } from './lost-connection.js'
import { type DeployPhase, limitToPhase, type PhasedPlan } from './phase.js'
import { type Plan, planDowngrade, planUpgrade } from './plan.js'
import { missingDowngrade } from './run-migration-body.js'
import { type RunnerTables, runPlan, type StepEvent, type StepResult } from './run-plan.js'
import { runnerTables } from './tables.js'
import { appliedFromRows } from './version-rows.js'

/** The migration session's deadlock_timeout: well under the default 1 s of everyone else. */
const MIGRATION_DEADLOCK_TIMEOUT = '100ms'

/** What every migrating command needs. */
export interface MigrateOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  /** `-x KEY=VALUE` arguments for the migrations. */
  readonly args?: Readonly<Record<string, string>>
  /** Overrides `migrations.transactionPerMigration`. */
  readonly transactionPerMigration?: boolean
  readonly backupId?: string
  /** One-line notices: waiting for the lock, drift warnings. */
  readonly onNotice?: (line: string) => void
  readonly onStep?: (event: StepEvent) => void
  /** Progress of long operations (backfills). */
  readonly onProgress?: (progress: BackfillProgress) => void
  /** Already loaded migrations (the CLI loads them before connecting). */
  readonly migrations?: MigrationSet
  /** Upgrades only: which part of the expand/contract sequence to apply. Default `all`. */
  readonly phase?: DeployPhase
}

/** The outcome of an upgrade or downgrade. */
export interface MigrateResult {
  readonly direction: 'up' | 'down'
  readonly target: string
  /** The database, with its password masked. */
  readonly database: string
  readonly rowsBefore: readonly string[]
  readonly rowsAfter: readonly string[]
  readonly steps: readonly StepResult[]
  readonly note: string | undefined
  readonly warnings: readonly string[]
  /** Upgrades with a phase: pending migrations left for `--phase contract`. */
  readonly held: readonly string[]
}

/**
 * Upgrades the database to `target` (default `head`).
 *
 * @example await upgrade({ config, spec }, 'head')
 */
export function upgrade(options: MigrateOptions, target = 'head'): Promise<MigrateResult> {
  return migrate(options, target, (migrations, rows) =>
    limitToPhase(planUpgrade(migrations.graph, rows, target), options.phase ?? 'all'),
  )
}

/**
 * Upgrades until the version table holds `rows`: to each in turn, so that a revision
 * with several heads applied is rebuilt as it is (a scratch database for drift or a
 * rehearsal). No rows: nothing runs.
 */
export async function upgradeToRevisions(options: MigrateOptions, rows: readonly string[]): Promise<void> {
  for (const row of rows) await upgrade(options, row)
}

/**
 * Downgrades the database to `target` (`-1`, a revision, `base`, `label@-1`, ...).
 *
 * @example await downgrade({ config, spec }, '-1')
 */
export function downgrade(options: MigrateOptions, target: string): Promise<MigrateResult> {
  return migrate(options, target, (migrations, rows) => ({
    plan: planDowngrade(migrations.graph, rows, target),
    held: [],
  }))
}

/**
 * Connects, takes the migration lock (waiting for another migrator and saying who it
 * is), reads the version table under the lock, and runs `work`. The lock and the
 * connection are always released.
 */
export async function withMigrationLock<T>(
  options: MigrateOptions,
  work: (connection: Connection, tables: RunnerTables, lock: MigrationLock) => Promise<T>,
): Promise<T> {
  requireDirectConnection(options.spec, 'migrating')
  const tables = runnerTables(options.config)
  const connection = await connect(options.spec)
  // Interrupted, the statement running on it is cancelled (see cancellable-sessions).
  const untrack = trackSession(options.spec, connection.client, 'the migration')
  try {
    const lock = await acquireMigrationLock(connection.client, tables.version, {
      waitSeconds: options.config.migrations.lockWaitTimeout,
      onWait: (holder, waited) =>
        options.onNotice?.(
          `waiting for another migrator${holder ? `: ${describeHolder(holder)}` : ''} (${Math.round(waited)}s so far, up to ${options.config.migrations.lockWaitTimeout}s)`,
        ),
    })
    try {
      return await work(connection, tables, lock)
    } catch (error) {
      // Lost, not failed: what was sent may still commit; say what the database holds.
      if (isConnectionLoss(error) && !wasCancelled(connection.client))
        throw await explainLostConnection(options.spec, connection.client, tables, error, (revision) =>
          options.migrations?.graph.has(revision)
            ? options.migrations.graph.get(revision).transactional
            : undefined,
        )
      throw error
    } finally {
      await lock.release()
    }
  } finally {
    untrack()
    await connection.close()
  }
}

/**
 * Creates the version and history tables (and their schema) when missing, in one round
 * trip, which also returns the session's server process id — checked against the one
 * that holds the migration lock (see `requireOneSession`).
 */
export async function ensureStateTables(
  connection: Connection,
  tables: RunnerTables,
  lock: MigrationLock,
): Promise<number> {
  // Each is created only when missing: PostgreSQL checks the right to create in a schema
  // even for CREATE ... IF NOT EXISTS of a table that exists, and a role that may not
  // (tables set up by the schema's owner) must still be able to migrate.
  const statements = [
    createIfMissing(
      `to_regclass(${quoteLiteral(qualified(tables.version))})`,
      createVersionTableSql(tables.version),
    ),
    createIfMissing(
      `to_regclass(${quoteLiteral(qualified(tables.history))})`,
      createHistoryTableSql(tables.history),
    ),
  ]
  if (tables.version.schema !== 'public') {
    statements.unshift(
      createIfMissing(
        `to_regnamespace(${quoteLiteral(quoteIdent(tables.version.schema))})`,
        `CREATE SCHEMA ${quoteIdent(tables.version.schema)}`,
      ),
    )
  }
  // Asked, not taken from the start-up message: behind a pooler such as PgBouncer the
  // announced id is the pooler's own, and the lock watcher would watch the wrong process.
  // A Strata killed outright (SIGKILL, out of memory, its machine gone) cancels nothing:
  // the server itself then notices the closed socket within a second and rolls back,
  // instead of running on through what was sent, COMMIT included (PostgreSQL 14+). Set
  // here, where every run that writes starts, in the round trip it makes anyway.
  if (connection.serverVersionNum >= 140000) statements.push("SET client_connection_check_interval = '1s'")
  // In a deadlock PostgreSQL rolls back the session whose deadlock_timeout (1 s by default)
  // runs out first while it waits: often the application's, when the migration began to
  // wait second. A shorter one here makes the migration the one that gives way, and its
  // step is retried like a lock timeout. The setting is a superuser's (or needs SET
  // privilege on it, PostgreSQL 15+); without it, nothing changes.
  statements.push(
    `DO $$ BEGIN PERFORM set_config('deadlock_timeout', '${MIGRATION_DEADLOCK_TIMEOUT}', false); EXCEPTION WHEN insufficient_privilege THEN NULL; END $$`,
  )
  // With it, whether this session can write at all: a standby, or a read-only default,
  // would otherwise fail the first migration with advice about the migration.
  statements.push(
    `SELECT pg_backend_pid() AS pid, pg_is_in_recovery() AS standby, current_setting('transaction_read_only') = 'on' AS read_only, ${missingPrivilegesSql(tables)}`,
  )
  let results: pg.QueryResult[]
  try {
    results = (await connection.client.query(statements.join(';\n'))) as unknown as pg.QueryResult[]
  } catch (error) {
    if ((error as { code?: string }).code === READ_ONLY_SQL_TRANSACTION)
      throw readOnlySession(
        connection,
        (await connection.client.query('SELECT pg_is_in_recovery() AS standby')).rows[0].standby,
      )
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error
    const user = connection.spec.user
    throw new OperationFailedError(
      `${user} may not create Strata's tables ${shown(tables.version)} and ${shown(tables.history)} (where missing): ${(error as Error).message}. Nothing was changed`,
      {
        hint: `create them once as a role that may (the schema's owner: run this command with its URL), or GRANT CREATE ON SCHEMA ${sqlIdent(tables.version.schema)} TO ${sqlIdent(user)}; after that ${user} needs only SELECT, INSERT, UPDATE, DELETE on them (and USAGE on the sequence of ${shown(tables.history)}.id)`,
      },
    )
  }
  const session = results.at(-1)!.rows[0] as {
    pid: number
    standby: boolean
    read_only: boolean
  } & MissingPrivileges
  if (session.standby || session.read_only) throw readOnlySession(connection, session.standby)
  if (session.missing.length > 0) throw missingPrivileges(connection.spec.user, session)
  requireOneSession(lock.pid, session.pid, connection.spec)
  return session.pid
}

/** What the session lacks on Strata's tables, made by another role: `GRANT ...` statements. */
interface MissingPrivileges {
  readonly missing: readonly string[]
  readonly owner: string
}

/**
 * Columns `missing` (the GRANTs this session needs on the version table, the history table
 * and its id sequence) and `owner`. Tables another role made (the schema's owner, as the
 * message above advises) may not be readable or writable by this one: without this, the
 * first read of the version table fails with a bare "permission denied" and no hint of
 * which grants to ask for. (has_table_privilege with a list is true when any one is held,
 * so each privilege is asked on its own; only those missing are named.)
 */
function missingPrivilegesSql(tables: RunnerTables): string {
  const version = quoteLiteral(qualified(tables.version))
  const history = quoteLiteral(qualified(tables.history))
  const grants = (table: string, shownName: string, privileges: readonly string[]) =>
    `(SELECT 'GRANT ' || string_agg(p, ', ' ORDER BY o) || ${quoteLiteral(` ON ${shownName}`)}
        FROM unnest(ARRAY[${privileges.map((p) => `'${p}'`).join(', ')}]) WITH ORDINALITY AS w(p, o)
       WHERE NOT has_table_privilege(${table}, p))`
  return `array_remove(ARRAY[
      ${grants(version, shown(tables.version), ['SELECT', 'INSERT', 'UPDATE', 'DELETE'])},
      ${grants(history, shown(tables.history), ['SELECT', 'INSERT'])},
      CASE WHEN NOT coalesce(has_sequence_privilege(pg_get_serial_sequence(${history}, 'id'), 'USAGE'), true)
           THEN 'GRANT USAGE ON SEQUENCE ' || pg_get_serial_sequence(${history}, 'id') END
    ], NULL) AS missing,
    (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(${version})) AS owner`
}

function missingPrivileges(user: string, found: MissingPrivileges): OperationFailedError {
  const grants = found.missing.map((grant) => `${grant} TO ${sqlIdent(user)}`)
  return new OperationFailedError(
    `${user} may not use Strata's tables, which ${found.owner} made: it lacks ${found.missing.map((grant) => grant.replace(/^GRANT /, '')).join('; ')}. Nothing was changed`,
    {
      hint: `as ${found.owner} (or a superuser): ${grants.join('; ')}; or run the migrations as ${found.owner}`,
    },
  )
}

/** SQLSTATE 25006: a write in a read-only transaction. */
const READ_ONLY_SQL_TRANSACTION = '25006'

function readOnlySession(connection: Connection, standby: boolean): InvalidInputError {
  const { spec } = connection
  const at = `${spec.host}:${spec.port}`
  return standby
    ? new InvalidInputError(
        `${at} is a standby (in recovery): it takes no writes, and migrations write. Nothing was changed`,
        {
          hint: 'connect to the primary (`strata health` says which role a server has); a connection string listing every node finds it with target_session_attrs=read-write',
        },
      )
    : new InvalidInputError(
        `sessions of ${spec.user} on ${spec.database} at ${at} are read-only (default_transaction_read_only is on): migrations write. Nothing was changed`,
        {
          hint: `connect as a role that may write, or turn it off for this one: ALTER ROLE ${sqlIdent(spec.user)} IN DATABASE ${sqlIdent(spec.database)} SET default_transaction_read_only = off`,
        },
      )
}

const shown = (table: { schema: string; name: string }) => sqlQualified(table.schema, table.name)

/** `createSql` run only when `existing` (a to_regclass(...) expression) is NULL. */
function createIfMissing(existing: string, createSql: string): string {
  return `DO $strata$ BEGIN IF ${existing} IS NULL THEN EXECUTE ${quoteLiteral(createSql)}; END IF; END $strata$`
}

/**
 * Refuses to go on when two statements of one connection reached different server
 * sessions: a pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands
 * each transaction to any server connection, so the session's migration lock would
 * protect nothing and each migration's settings would land elsewhere. No migration has
 * run when this is checked (at most the empty state tables were created). (The pooler
 * may hand out the same session twice, so this catches it often, not always: the
 * README says to connect directly.)
 */
export function requireOneSession(lockPid: number, pid: number, spec: ConnectionSpec): void {
  if (lockPid === pid) return
  throw new InvalidInputError(
    `two PostgreSQL sessions answered one connection (server processes ${lockPid} and ${pid}): a pooler in transaction mode, such as PgBouncer with pool_mode = transaction, sits between Strata and the database`,
    {
      where: maskedUrl(spec),
      hint: "connect Strata to PostgreSQL itself (the server's own host and port) or through a session-mode pool: the migration lock and each migration's settings must stay in one session for the whole run",
    },
  )
}

/**
 * Whether consecutive migrations may share a round trip: always from PostgreSQL 13,
 * where `statement_timeout` applies to each statement of a message; before it, only
 * when no migration of the plan runs under a statement timeout (it would time the
 * whole group).
 */
export function canGroupMigrations(
  serverVersionNum: number,
  plan: Plan,
  lock: ResolvedConfig['lock'],
): boolean {
  if (serverVersionNum >= 130000) return true
  return plan.steps.every((step) => lockSettings(lock, step.meta).statementTimeout === 0)
}

async function migrate(
  options: MigrateOptions,
  target: string,
  makePlan: (migrations: MigrationSet, rows: string[]) => PhasedPlan,
): Promise<MigrateResult> {
  const migrations = options.migrations ?? (await loadMigrations(options.config))
  return withMigrationLock(options, async (connection, tables, lock) => {
    const rows = await readVersionRows(connection.client, tables.version)
    const { plan, held } = makePlan(migrations, rows)
    requireRunnable(plan.steps, plan.direction)
    if (plan.direction === 'down') {
      const missing = plan.steps.find((step) => !step.meta.hasDowngrade)
      if (missing) throw missingDowngrade(missing)
    }
    const applied = appliedFromRows(migrations.graph, rows)
    const warnings = detectDrift(
      migrations.graph,
      applied,
      await readAppliedChecksums(connection.client, tables.history),
    ).map(describeDrift)
    for (const warning of warnings) options.onNotice?.(`warning: ${warning}`)
    let steps: StepResult[] = []
    if (plan.steps.length > 0) {
      const backendPid = await ensureStateTables(connection, tables, lock)
      const lockWatcher = new LockWatcher(options.spec, backendPid, {
        // 0 turns the reports off.
        onSlow:
          options.config.migrations.progressInterval > 0 ? (line) => options.onNotice?.(line) : undefined,
        slowAfterMs: options.config.migrations.progressInterval,
        slowEveryMs: options.config.migrations.progressInterval,
      })
      try {
        steps = await runPlan({
          client: connection.client,
          migrations,
          plan,
          tables,
          transactionPerMigration:
            options.transactionPerMigration ?? options.config.migrations.transactionPerMigration,
          args: options.args ?? {},
          toolVersion: STRATA_VERSION,
          backupId: options.backupId,
          lock: options.config.lock,
          backfill: options.config.backfill,
          lockWatcher,
          groupMigrations: canGroupMigrations(connection.serverVersionNum, plan, options.config.lock),
          onStep: options.onStep,
          onLockWait: (line) => options.onNotice?.(line),
          onProgress: options.onProgress,
          onNotice: options.onNotice,
        })
      } finally {
        await lockWatcher.close()
      }
    }
    return {
      direction: plan.direction,
      target,
      database: maskedUrl(options.spec),
      rowsBefore: plan.rowsBefore,
      rowsAfter: plan.rowsAfter,
      steps,
      note: plan.note,
      warnings,
      held: held.map((step) => step.revision),
    }
  })
}
