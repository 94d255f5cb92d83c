import type pg from 'pg'
import { dataLostBySteps, describeLoss, type StepLoss } from '../analysis/data-loss.js'
import type { ResolvedConfig } from '../config/types.js'
import { connect, withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { holdingData } from '../db/holds-data.js'
import { quoteTableName, sqlTableName } from '../db/quote.js'
import { readVersionRows } from '../db/version-table.js'
import { UsageError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { type DeployPhase, limitToPhase } from '../runner/phase.js'
import { planDowngrade, planUpgrade } from '../runner/plan.js'
import { runnerTables } from '../runner/tables.js'
import { backupBeforeMigrating } from './backup-before-migrating.js'
import { ClientProgramError } from './client-programs.js'
import { saveTablesOnServer } from './saved-tables.js'

export interface DestroyedDataBackupOptions {
  readonly direction: 'up' | 'down'
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  /**
   * Where the run goes (`head`, `-1`, a revision, `base`); for downgrades several, for a
   * rollback that returns to the revisions before a deploy, one downgrade after the other.
   */
  readonly targets: readonly string[]
  /** An upgrade's `--phase`: the steps it holds back do not run, so they destroy nothing yet. */
  readonly phase?: DeployPhase
  readonly args?: Readonly<Record<string, string>>
  readonly onProgress: (line: string) => void
  /**
   * A schema-per-tenant tenant: its unqualified table names are its own schema's (the
   * migrations run with it on the search path), not those of every schema.
   */
  readonly schema?: string
  /** How to go on without the backup, for the refusal's hint (default: the command's --no-backup). */
  readonly withoutBackup?: string
}

/**
 * A step that drops a table or column, truncates or deletes destroys data: a downgrade
 * whatever was written since the upgrade, a contract upgrade the old column's values.
 * Alembic runs either without a word. Strata looks first: when the steps about to run
 * destroy tables or columns that hold data, those tables are backed up (custom format,
 * verified) before any step runs, and the backup id goes into `strata_history` with each
 * step. Nothing at risk (empty tables, new columns never filled): no backup. No pg_dump
 * able to back up this server: the tables are copied into `strata_saved` on the server
 * (up to `backup.serverCopyLimitMb`); failing that too, refused, with the fix or
 * `--no-backup` to accept the loss.
 *
 * @returns the backup id or the copies (`strata_saved.users_...`; see `describeSavedData`),
 *          or undefined when no data is at risk
 */
export async function backupDestroyedData(options: DestroyedDataBackupOptions): Promise<string | undefined> {
  const { config, spec, migrations } = options
  const connection = await connect(spec)
  let tables: string[]
  let lost: string
  /** Per table, what the run destroys of it: a copy on the server says why it was made. */
  let lostOf: (table: string) => string
  try {
    const rows = await readVersionRows(connection.client, runnerTables(config).version)
    // Nothing applied: no downgrade to run (the runner says so itself).
    if (options.direction === 'down' && rows.length === 0) return undefined
    const metas =
      options.direction === 'down'
        ? stepsDowngradedTo(migrations, rows, options.targets)
        : stepsUpgradedTo(migrations, rows, options.targets, options.phase)
    const { losses, schemas } = await dataLostBySteps(
      migrations,
      metas,
      options.direction,
      config,
      options.args,
    )
    const inSchemas = await tablesOfSchemas(connection.client, schemas)
    const holding = await holdingData(connection.client, [...losses, ...inSchemas])
    if (holding.length === 0) return undefined
    tables = [...new Set(holding.map((item) => item.table))]
    lost = [...new Set(holding.map(describeLoss))].join(', ')
    lostOf = (table) =>
      [...new Set(holding.filter((item) => item.table === table).map(describeLoss))].join(', ')
  } finally {
    await connection.close()
  }
  options.onProgress(`The ${runName(options)} destroys data: ${lost}. Backing up ${tables.join(', ')} first`)
  const inScope = (table: string) =>
    table.includes('.') || options.schema === undefined ? table : `${options.schema}.${table}`
  try {
    const patterns = tables.map((table) => sqlTableName(inScope(table))) // pg_dump patterns for exactly these names
    return await backupBeforeMigrating(config, spec, options.onProgress, { tables: patterns })
  } catch (error) {
    if (!(error instanceof ClientProgramError)) throw error
    return copyOnServerInstead(
      options,
      tables.map((table) => ({ table: inScope(table), lost: lostOf(table) })),
      lost,
      error,
    )
  }
}

/**
 * No pg_dump for this server (the embedded development server ships none): the tables
 * are copied on the server instead, so that a downgrade can still keep what it
 * destroys; refused when they cannot be copied either.
 */
async function copyOnServerInstead(
  options: DestroyedDataBackupOptions,
  destroyed: readonly { readonly table: string; readonly lost: string }[],
  lost: string,
  noDump: ClientProgramError,
): Promise<string> {
  const tables = destroyed.map((item) => item.table)
  options.onProgress(`No pg_dump can back up this server; copying ${tables.join(', ')} on the server instead`)
  const run = options.direction === 'up' ? 'an upgrade' : 'a downgrade'
  try {
    const copies = await withConnection(options.spec, (connection) =>
      saveTablesOnServer(
        connection.client,
        tables,
        (index) => `destroyed by ${run} (${destroyed[index]!.lost})`,
        options.config.backup.serverCopyLimitMb * 1024 ** 2,
      ),
    )
    options.onProgress(
      `Copied to ${copies.join(', ')}; once no longer needed: DROP TABLE ${copies.map(quoteTableName).join(', ')}`,
    )
    return copies.join(', ')
  } catch (copyError) {
    throw new UsageError(
      `the ${runName(options)} would destroy data that holds rows (${lost}), and it cannot be backed up first: ${noDump.message}; nor copied on the server: ${(copyError as Error).message}. Nothing was changed`,
      {
        hint: `${noDump.hint ?? 'install PostgreSQL client programs as new as the server'}; or ${options.withoutBackup ?? `run the ${runName(options)} with --no-backup`} to accept losing that data`,
      },
    )
  }
}

/** The tables (and partitioned tables) of schemas a downgrade drops with CASCADE, as losses. */
async function tablesOfSchemas(
  client: pg.ClientBase,
  schemas: readonly { schema: string; revision: string }[],
): Promise<StepLoss[]> {
  if (schemas.length === 0) return []
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r', 'p') ORDER BY 1, 2`,
    [schemas.map((item) => item.schema)],
  )
  return rows.map((row) => ({
    table: `${row.schema}.${row.name}`,
    revision: schemas.find((item) => item.schema === row.schema)!.revision,
  }))
}

function runName(options: DestroyedDataBackupOptions): string {
  return options.direction === 'up' ? 'upgrade' : 'downgrade'
}

/** The migrations an upgrade to `targets` applies (not those its phase holds back). */
function stepsUpgradedTo(
  migrations: MigrationSet,
  rows: readonly string[],
  targets: readonly string[],
  phase: DeployPhase | undefined,
): MigrationMeta[] {
  return targets.flatMap((target) =>
    limitToPhase(planUpgrade(migrations.graph, rows, target), phase ?? 'all').plan.steps.map(
      (step) => step.meta,
    ),
  )
}

/** The migrations that downgrades to `targets`, one after the other, revert. */
function stepsDowngradedTo(migrations: MigrationSet, rows: readonly string[], targets: readonly string[]) {
  // Each target's plan starts from the rows as they are now: a later downgrade reverts
  // a subset of what an earlier one leaves, so the union covers every step.
  const byRevision = new Map<string, MigrationMeta>()
  for (const target of targets)
    for (const step of planDowngrade(migrations.graph, rows, target).steps)
      byRevision.set(step.revision, step.meta)
  return [...byRevision.values()]
}
