import type { ResolvedConfig } from '../config/types.js'
import { type Connection, connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl } from '../db/connection-spec.js'
import { StrataError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { databaseStatus } from '../runner/status.js'
import { runnerTables } from '../runner/tables.js'
import { type CheckReport, type CheckResult, reportOf, runCheck } from './check-result.js'
import { checkEndpoint } from './endpoint-check.js'
import { checkLockWaits } from './lock-waits.js'
import { checkAtHead, checkVersionTable } from './migration-state.js'
import { checkReplicaLag } from './replica-lag-check.js'
import { checkReplicationSlots } from './replication-slots.js'
import {
  checkConnections,
  checkLongTransactions,
  checkRecoveryRole,
  checkRoundTrip,
  checkServerVersion,
  checkWraparound,
} from './server-checks.js'
import { checkSynchronousStandbys } from './synchronous-standbys.js'
import { checkWalArchiving } from './wal-archiving.js'

export interface HealthOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  /**
   * The revisions the database should be at, when not head: a deploy's expand phase
   * leaves contract migrations pending on purpose.
   */
  readonly expectedRevisions?: readonly string[]
}

/**
 * The guide's `health_check.sh`: the database answers, what it is, whether it is at
 * head with a consistent version table, whether anything threatens it (connections,
 * long transactions, wraparound), and whether the application's health URLs answer.
 * A failed connection is a failed check, not an error: the report still prints.
 *
 * @example
 * const report = await checkHealth({ config, spec, migrations })
 * for (const check of report.checks) console.log(check.status, check.title, check.summary)
 */
export async function checkHealth(options: HealthOptions): Promise<CheckReport> {
  const checks: CheckResult[] = []
  const started = performance.now()
  let connection: Connection | undefined
  let connectFailure: StrataError | Error | undefined
  try {
    connection = await connect(options.spec)
  } catch (error) {
    connectFailure = error as Error
  }
  const connectMs = Math.round(performance.now() - started)
  try {
    if (connection === undefined) {
      const hint =
        connectFailure instanceof StrataError && connectFailure.hint ? ` (${connectFailure.hint})` : ''
      checks.push(
        await runCheck('connection', 'Database reachable', async () => ({
          status: 'fail',
          summary: `${connectFailure?.message ?? 'no connection'}${hint}`,
        })),
      )
    } else {
      const open = connection
      const tables = runnerTables(options.config)
      checks.push(await runCheck('connection', 'Database reachable', () => checkRoundTrip(open, connectMs)))
      checks.push(
        await runCheck('server-version', 'Server version supported', () => checkServerVersion(open)),
      )
      checks.push(await runCheck('recovery', 'Primary, accepting writes', () => checkRecoveryRole(open)))
      // The version table and history are read once, for both migration checks.
      const status = databaseStatus(open.spec, options.migrations, tables, open)
      checks.push(
        await runCheck('at-head', 'Database at head', async () =>
          checkAtHead(await status, options.migrations, options.expectedRevisions),
        ),
      )
      checks.push(
        await runCheck('version-table', 'Version table consistent', async () =>
          checkVersionTable(open, options.migrations, tables, await status),
        ),
      )
      checks.push(await runCheck('connections', 'Connections available', () => checkConnections(open)))
      checks.push(
        await runCheck('long-transactions', 'No long-running transactions', () =>
          checkLongTransactions(open, options.config.health.longRunningSeconds),
        ),
      )
      checks.push(
        await runCheck('lock-waits', 'No sessions stuck behind locks', () =>
          checkLockWaits(open, options.config.health.lockWaitSeconds),
        ),
      )
      checks.push(
        await runCheck('wraparound', 'Transaction IDs far from wraparound', () => checkWraparound(open)),
      )
      checks.push(
        await runCheck('replication-slots', 'Replication slots not holding WAL', () =>
          checkReplicationSlots(open, options.config.health.slotWalMegabytes * 1024 ** 2),
        ),
      )
      checks.push(
        await runCheck('replica-lag', 'Replicas keeping up', () =>
          checkReplicaLag(open, options.config.health.replicaLagMegabytes * 1024 ** 2),
        ),
      )
      checks.push(
        await runCheck('synchronous-standbys', 'Synchronous standbys connected', () =>
          checkSynchronousStandbys(open),
        ),
      )
      checks.push(await runCheck('wal-archiving', 'WAL archiving working', () => checkWalArchiving(open)))
    }
    const endpoints = await Promise.all(
      options.config.health.urls.map((endpoint) =>
        runCheck(`endpoint:${endpoint.name}`, `Application ${endpoint.name}`, () => checkEndpoint(endpoint)),
      ),
    )
    checks.push(...endpoints)
  } finally {
    await connection?.close()
  }
  return reportOf(maskedUrl(options.spec), checks)
}
