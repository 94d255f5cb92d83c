import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl } from '../db/connection-spec.js'
import { limitReadLockWaits } from '../db/read-lock-waits.js'
import { readVersionRows } from '../db/version-table.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { runnerTables } from '../runner/tables.js'
import { type CheckReport, type CheckResult, reportOf, runCheck } from './check-result.js'
import { checkConstraintValidity } from './constraint-validity.js'
import { checkSchemaDrift, type DriftOutcome } from './drift/schema-drift.js'
import { readForeignKeys } from './foreign-keys.js'
import { checkIndexes } from './index-validity.js'
import { managedSchemas } from './managed-schemas.js'
import { checkOrphans } from './orphans.js'
import { checkRoleGrants } from './role-grants.js'
import { checkSequenceCapacity } from './sequence-capacity.js'
import { strataTables } from './strata-tables.js'
import { checkTableAccess } from './table-access.js'

export interface VerifyOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  /** `-x KEY=VALUE` arguments, for replaying the migrations into the scratch database. */
  readonly args?: Readonly<Record<string, string>>
}

/**
 * The migration-health check (the guide's `check_migration_health.sh`): tables readable,
 * indexes valid and present, constraints validated, no orphaned rows, no drift from the
 * migrations, counters far from their limits. Reads only; the scratch database it builds
 * for the drift comparison is dropped before it returns.
 *
 * @example
 * const report = await verifyDatabase({ config, spec, migrations })
 * if (!report.ok) process.exitCode = 1
 */
export async function verifyDatabase(options: VerifyOptions): Promise<CheckReport> {
  const { config } = options
  return withConnection(options.spec, async (connection) => {
    const { client } = connection
    await limitReadLockWaits(client)
    const { schemas, missing } = await managedSchemas(client, config.health.schemas)
    const checks: CheckResult[] = []
    if (missing.length > 0) {
      checks.push(
        await runCheck('schemas', 'Managed schemas exist', async () => ({
          status: 'fail',
          summary: `${missing.join(', ')} named in health.schemas but not in the database`,
          details: [
            `create the schema or remove it from health.schemas (present: ${schemas.join(', ') || 'none'})`,
          ],
        })),
      )
    }
    const rows = await readVersionRows(client, runnerTables(config).version)
    let drift: DriftOutcome | undefined
    const driftCheck = await runCheck(
      'schema-drift',
      'Data types consistent',
      async () => {
        drift = await checkSchemaDrift(client, { ...options, rows, schemas })
        return drift.outcome
      },
      client,
    )

    checks.push(
      await runCheck(
        'tables-accessible',
        'All tables accessible',
        () => checkTableAccess(client, schemas),
        client,
      ),
    )
    if (Object.keys(config.health.roles).length > 0) {
      checks.push(
        await runCheck(
          'role-grants',
          'Application roles granted',
          () => checkRoleGrants(client, schemas, config.health.roles, strataTables(config)),
          client,
        ),
      )
    }
    checks.push(
      await runCheck(
        'indexes',
        'All indexes present',
        () => checkIndexes(client, schemas, drift?.missingIndexes),
        client,
      ),
    )
    checks.push(
      await runCheck(
        'constraints-valid',
        'Foreign key constraints valid',
        () => checkConstraintValidity(client, schemas),
        client,
      ),
    )
    checks.push(
      await runCheck(
        'orphans',
        'No orphaned records',
        async () =>
          checkOrphans(client, await readForeignKeys(client, schemas), {
            batchRows: config.health.orphanBatchRows,
            serverVersionNum: connection.serverVersionNum,
          }),
        client,
      ),
    )
    checks.push(driftCheck)
    checks.push(
      await runCheck(
        'sequences',
        'Sequences and integer keys far from their limits',
        () => checkSequenceCapacity(client, schemas, config.health.sequenceThreshold),
        client,
      ),
    )
    return reportOf(maskedUrl(options.spec), checks)
  })
}
