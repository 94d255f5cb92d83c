import { randomBytes } from 'node:crypto'
import type { ResolvedConfig } from '../../config/types.js'
import { cancellationRequested } from '../../db/cancellable-sessions.js'
import { cloneDatabase, SourceInUseError } from '../../db/clone-database.js'
import { type Connection, withConnection } from '../../db/connect.js'
import { type ConnectionSpec, withDatabase } from '../../db/connection-spec.js'
import { maintenanceConnection } from '../../db/maintenance-connection.js'
import { quoteIdent } from '../../db/quote.js'
import { dropOnAbruptExit, dropScratchDatabase } from '../../db/scratch-database.js'
import type { MigrationSet } from '../../graph/load-migrations.js'
import type { CheckOutcome } from '../../health/check-result.js'
import { readManagedCatalog, tableFilter } from '../../health/drift/schema-drift.js'
import { downgradeDifferences } from '../../rehearse/rehearse-migrations.js'
import { type MigrateOptions, upgrade, upgradeToRevisions } from '../../runner/migrate.js'
import type { DeployPhase } from '../../runner/phase.js'
import { formatDuration } from '../../util/duration.js'
import { plural } from '../../util/plural.js'
import { returnToRevisions } from '../return-to-revisions.js'
import { copySampleRows } from './sample-rows.js'

export interface RehearsalOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  readonly migrations: MigrationSet
  readonly target: string
  readonly phase: DeployPhase
  /** The version table's rows now: where the downgrade must come back to. */
  readonly fromRows: readonly string[]
  readonly args?: Readonly<Record<string, string>>
}

/**
 * "Every migration passes up → down → up": the deploy's migrations run on a scratch
 * database, are downgraded, and run again, before the live database sees them. The
 * scratch database is a copy of the live one when PostgreSQL allows it (no other
 * sessions; `deploy.rehearsal: copy`), otherwise the migrations' schema at the current
 * revision with sample rows. After the downgrade its schema is compared with the one
 * before: a downgrade that forgets an index shows up here, not in an incident.
 */
export async function rehearse(options: RehearsalOptions): Promise<CheckOutcome> {
  const { config, spec } = options
  if (config.deploy.rehearsal === 'off')
    return { status: 'warn', summary: 'not rehearsed (deploy.rehearsal is off)' }
  const name = `${spec.database.slice(0, 40)}_rehearsal_${randomBytes(4).toString('hex')}`
  const admin = await maintenanceConnection(spec)
  try {
    let method: string
    dropOnAbruptExit(admin, name)
    try {
      method = await prepareScratch(admin, options, name)
    } catch (error) {
      return {
        status: 'warn',
        summary: `not rehearsed: no scratch database could be made (${(error as Error).message})`,
        details: [`let ${spec.user} create databases (ALTER ROLE ${quoteIdent(spec.user)} CREATEDB)`],
      }
    }
    return await runRehearsal(options, withDatabase(spec, name), method)
  } finally {
    await dropScratchDatabase(admin, name)
    await admin.close()
  }
}

/** Makes the scratch database and says what it holds. */
async function prepareScratch(admin: Connection, options: RehearsalOptions, name: string): Promise<string> {
  const { config, spec } = options
  let busy = ''
  if (config.deploy.rehearsal === 'copy') {
    try {
      await cloneDatabase(admin.client, spec.database, name)
      return 'a copy of the database'
    } catch (error) {
      if (!(error instanceof SourceInUseError)) throw error
      busy = ` (no copy: ${plural(error.sessions, 'other session')} connected)`
    }
  }
  await admin.client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`)
  const scratch = withDatabase(spec, name)
  await upgradeToRevisions(
    { config, spec: scratch, migrations: options.migrations, args: options.args ?? {} },
    options.fromRows,
  )
  const keep = tableFilter(config)
  const sample = await withConnection(spec, (live) =>
    withConnection(scratch, (copy) =>
      copySampleRows(
        live.client,
        copy.client,
        config.deploy.sampleRows,
        (schema, table) => !keep(schema, table),
      ),
    ),
  )
  const skipped = sample.skipped.length > 0 ? `; left empty: ${sample.skipped.join('; ')}` : ''
  return `the schema at the current revision with ${plural(sample.rows, 'sample row')} in ${plural(sample.tables, 'table')}${busy}${skipped}`
}

async function runRehearsal(
  options: RehearsalOptions,
  scratch: ConnectionSpec,
  method: string,
): Promise<CheckOutcome> {
  const base: MigrateOptions = {
    config: options.config,
    spec: scratch,
    migrations: options.migrations,
    args: options.args ?? {},
  }
  const legs: string[] = []
  const leg = async (label: string, work: () => Promise<unknown>): Promise<void> => {
    const started = performance.now()
    try {
      await work()
    } catch (error) {
      throw new Error(`${label} failed: ${(error as Error).message.split('\n')[0]}`, { cause: error })
    }
    legs.push(`${label} ${formatDuration(Math.round(performance.now() - started))}`)
  }
  // What the downgrade failed to undo: the usual reason the second upgrade fails
  // ("column ... already exists"), so it is reported with that failure too.
  let leftByDowngrade: readonly string[] = []
  try {
    const before = await readManagedCatalog(options.config, scratch)
    let applied = 0
    await leg('up', async () => {
      applied = (await upgrade({ ...base, phase: options.phase }, options.target)).steps.length
    })
    await leg('down', () => returnToRevisions(base, options.fromRows))
    const differences = downgradeDifferences(await readManagedCatalog(options.config, scratch), before)
    leftByDowngrade = differences
    await leg('up', () => upgrade({ ...base, phase: options.phase }, options.target))
    const summary = `${legs.join(' → ')} on ${method} (${plural(applied, 'migration')})`
    if (differences.length > 0)
      return {
        status: 'warn',
        summary: `${summary}; the downgrade does not restore the schema exactly`,
        details: differences,
      }
    return { status: 'ok', summary }
  } catch (error) {
    // The failure's own hint (the duplicates to look at, the header a statement needs) first.
    const hint = ((error as Error).cause as { hint?: string } | undefined)?.hint
    const incompleteDowngrade =
      leftByDowngrade.length > 0
        ? [
            ...leftByDowngrade,
            'the downgrade does not undo all the upgrade does, so the upgrade cannot run again: make the downgrade undo it',
          ]
        : hint === undefined
          ? []
          : [hint]
    return {
      status: 'fail',
      summary: `${(error as Error).message} (rehearsed on ${method}, after: ${legs.join(' → ') || 'nothing'})`,
      details: cancellationRequested()
        ? ['interrupted: the rehearsal stopped on its scratch copy; the live database was not touched']
        : [...incompleteDowngrade, 'fix the migration, then deploy again; the live database was not touched'],
    }
  }
}
