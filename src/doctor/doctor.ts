import { accessSync, constants, existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { listBackups } from '../backup/catalog.js'
import type { ResolvedConfig } from '../config/types.js'
import { describeHolder, type LockHolder, migrationLockHolder } from '../db/advisory-lock.js'
import { connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl } from '../db/connection-spec.js'
import { sqlIdent } from '../db/quote.js'
import type { DatabaseTarget } from '../db/resolve-target.js'
import { readVersionRows, tableExists } from '../db/version-table.js'
import { embeddedPackageFor, noEmbeddedServer } from '../embedded/index.js'
import { InvalidInputError, StrataError } from '../errors/index.js'
import { loadMigrations } from '../graph/load-migrations.js'
import type { CheckOutcome, CheckReport, CheckResult } from '../health/check-result.js'
import { runCheck } from '../health/check-result.js'
import { planUpgrade } from '../runner/plan.js'
import { runnerTables } from '../runner/tables.js'
import { displayPath } from '../util/display-path.js'
import { formatDuration } from '../util/duration.js'
import { plural } from '../util/plural.js'
import { STRATA_VERSION } from '../version.js'
import { clientProgramChecks } from './client-program-checks.js'
import { readSchemaRights, type SchemaRights, schemaRightsOutcome } from './schema-rights.js'

export interface DoctorOptions {
  readonly config: ResolvedConfig
  /** The database the command line selects (`resolveTarget`). */
  readonly target: DatabaseTarget
  /**
   * Its connection spec, when it can be had without starting anything: undefined for the
   * development server when it is not running (the doctor never starts it).
   */
  readonly spec: ConnectionSpec | undefined
}

/** What the connection check learnt, for the checks after it. */
interface ServerFacts {
  readonly major: number
  readonly versionRows: readonly string[] | undefined
  /** The version table cannot be read as configured (one elsewhere holds the revisions). */
  readonly versionTableProblem: unknown
  /** The session holding the migration lock when the doctor looked. */
  readonly migrator: LockHolder | undefined
  readonly rights: SchemaRights
  /** The role may create databases (CREATEDB or superuser). */
  readonly createdb: boolean
}

/**
 * `strata doctor`: is this machine and project set up to migrate and back up the
 * selected database? Which config and `.env` were read, which database was chosen and
 * why, whether it answers (and as whom), whether the migrations load, which client
 * programs would be used for this server (or what to install), and whether the backup
 * directory takes files. Reads only: it starts no server and writes nothing.
 *
 * @example const report = await runDoctor({ config, target, spec })
 */
export async function runDoctor(options: DoctorOptions): Promise<CheckReport> {
  const { config, target, spec } = options
  const checks: CheckResult[] = []
  checks.push(await runCheck('runtime', 'Node.js supported', async () => runtimeOutcome()))
  checks.push(await runCheck('config', 'Configuration read', async () => configOutcome(config)))
  checks.push(await runCheck('database', 'Database selected', async () => targetOutcome(target, spec)))
  if (target.source === 'embedded dev server')
    checks.push(
      await runCheck('dev-server', 'Development server installed', async () => devServerOutcome(config)),
    )
  let server: ServerFacts | undefined
  checks.push(
    await runCheck('connection', 'Database reachable', async () => {
      if (spec === undefined)
        return { status: 'skip', summary: 'the development server is not running: `strata dev start`' }
      const reached = await reach(spec, config)
      server = reached.facts
      return reached.outcome
    }),
  )
  checks.push(await runCheck('migrations', 'Migrations load', async () => migrationsOutcome(config, server)))
  const facts = server as ServerFacts | undefined
  if (facts !== undefined) {
    checks.push(
      await runCheck('migration-lock', 'No migration running', async () =>
        migrationLockOutcome(facts.migrator),
      ),
    )
    checks.push(
      await runCheck('schema-rights', 'Role may change the schema', async () =>
        schemaRightsOutcome(facts.rights),
      ),
    )
    checks.push(
      await runCheck('scratch-databases', 'Scratch databases possible', async () =>
        scratchOutcome(config, facts),
      ),
    )
  }
  checks.push(...(await clientProgramChecks(config, server?.major, target.source === 'embedded dev server')))
  checks.push(
    await runCheck('backup-directory', 'Backup directory usable', async () => backupsOutcome(config)),
  )
  return {
    database: spec === undefined ? 'the embedded development server' : maskedUrl(spec),
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
  }
}

function migrationLockOutcome(migrator: LockHolder | undefined): CheckOutcome {
  if (migrator === undefined) return { status: 'ok', summary: 'the migration lock is free' }
  return {
    status: 'warn',
    summary: `the migration lock is held by ${describeHolder(migrator)}`,
    details: [
      `an upgrade or deploy is running, and another waits for it; if that session is stuck, \`strata diagnose terminate ${migrator.pid}\` ends it`,
    ],
  }
}

function runtimeOutcome(): CheckOutcome {
  const major = Number(process.versions.node.split('.')[0])
  return major >= 20
    ? { status: 'ok', summary: `Strata ${STRATA_VERSION} on Node.js ${process.version}` }
    : {
        status: 'fail',
        summary: `Node.js ${process.version}: Strata needs Node.js 20 or newer`,
        details: ['install Node.js 20 or newer (nodejs.org, or your package manager)'],
      }
}

function configOutcome(config: ResolvedConfig): CheckOutcome {
  const details: string[] = []
  if (config.dotenv !== undefined)
    details.push(
      `${config.dotenv.file} set ${config.dotenv.keys.length === 0 ? 'nothing the environment did not have' : config.dotenv.keys.join(', ')}`,
    )
  if (config.file === undefined)
    return {
      status: 'warn',
      summary: `no strata.config.* in ${config.rootDir}: the defaults apply`,
      details: [...details, '`strata init` writes one'],
    }
  return { status: 'ok', summary: config.file, details }
}

/** The embedded server `strata dev start` would run: the major the config asks for, installed or not. */
function devServerOutcome(config: ResolvedConfig): CheckOutcome {
  const major = config.dev.postgresVersion
  const found = embeddedPackageFor(major, config.rootDir)
  if (found === undefined) {
    const { message, hint } = noEmbeddedServer(major, config.rootDir)
    return { status: 'fail', summary: message, details: [hint] }
  }
  return { status: 'ok', summary: `PostgreSQL ${major} from the npm package ${found.name} ${found.version}` }
}

const SOURCE_WORDS: Readonly<Record<DatabaseTarget['source'], string>> = {
  '--url': 'given with --url',
  '-n': 'named with -n',
  DATABASE_URL: 'from DATABASE_URL',
  'config default': "the config's default",
  'PG* variables': 'from the PG* variables',
  'embedded dev server': 'none configured, so the embedded development server',
}

function targetOutcome(target: DatabaseTarget, spec: ConnectionSpec | undefined): CheckOutcome {
  const name = target.name === undefined ? '' : ` ${target.name}`
  if (spec?.throughPgbouncer)
    return {
      status: 'warn',
      summary: `${SOURCE_WORDS[target.source]}${name}: ${maskedUrl(spec)}, through PgBouncer (pgbouncer=true)`,
      details: [
        `reading works through the pool; upgrade, downgrade, stamp and deploy refuse it: they need one server session throughout${process.env.DIRECT_URL ? '. DIRECT_URL is set: DATABASE_URL="$DIRECT_URL" strata upgrade head' : ". Give them a direct URL to the server (Prisma's directUrl)"}`,
      ],
    }
  return {
    status: 'ok',
    summary: `${SOURCE_WORDS[target.source]}${name}: ${spec === undefined ? '(not running)' : maskedUrl(spec)}`,
    details:
      target.source === 'embedded dev server'
        ? ['a production database is selected with --url, -n NAME, DATABASE_URL or the PG* variables']
        : [],
  }
}

async function reach(
  spec: ConnectionSpec,
  config: ResolvedConfig,
): Promise<{ outcome: CheckOutcome; facts: ServerFacts | undefined }> {
  const started = Date.now()
  let connection: Awaited<ReturnType<typeof connect>>
  try {
    connection = await connect(spec)
  } catch (error) {
    // The selected-database line above already names where.
    return { outcome: failedWith(error, false), facts: undefined }
  }
  try {
    const { rows } = await connection.client.query<{
      version: string
      user: string
      recovery: boolean
      readonly: string
      createdb: boolean
    }>(
      `SELECT current_setting('server_version') AS version, current_user AS user,
              pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS readonly,
              (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS createdb`,
    )
    const row = rows[0]!
    const tables = runnerTables(config)
    const table = tables.version
    // A version table elsewhere in the search_path is the migrations' finding, not this one's.
    let versionTableProblem: unknown
    const exists = await tableExists(connection.client, table)
    const versionRows = await readVersionRows(connection.client, table).then(
      (rows) => (exists ? rows : undefined),
      (error) => {
        if (!(error instanceof InvalidInputError)) throw error
        versionTableProblem = error
        return undefined
      },
    )
    const writable = !row.recovery && row.readonly !== 'on'
    const summary = `PostgreSQL ${row.version} as ${row.user}, in ${formatDuration(Date.now() - started)}${connection.tls ? ', encrypted' : ''}`
    return {
      outcome: writable
        ? { status: 'ok', summary }
        : {
            status: 'fail',
            summary: `${summary}, but ${row.recovery ? 'a standby in recovery' : 'default_transaction_read_only is on'}: migrations cannot write here`,
            details: [
              row.recovery
                ? 'connect to the primary'
                : `lift it for the migrating role: ALTER ROLE ${row.user} SET default_transaction_read_only = off`,
            ],
          },
      facts: {
        major: Math.floor(connection.serverVersionNum / 10000),
        versionRows,
        versionTableProblem,
        migrator: await migrationLockHolder(connection.client, table),
        createdb: row.createdb,
        rights: await readSchemaRights(connection.client, table.schema, [
          `${table.schema}.${table.name}`,
          `${tables.history.schema}.${tables.history.name}`,
          `${table.schema}.strata_backfill`,
        ]),
      },
    }
  } finally {
    await connection.close()
  }
}

async function migrationsOutcome(
  config: ResolvedConfig,
  server: ServerFacts | undefined,
): Promise<CheckOutcome> {
  const missing = config.migrations.directories.filter((directory) => !existsSync(directory))
  if (missing.length > 0)
    return {
      status: 'fail',
      summary: `${plural(missing.length, 'directory', 'directories')} missing: ${missing.join(', ')}`,
      details: ['`strata init` creates migrations/versions; or set migrations.directories in the config'],
    }
  let migrations: Awaited<ReturnType<typeof loadMigrations>>
  try {
    migrations = await loadMigrations(config)
  } catch (error) {
    return failedWith(error)
  }
  const all = migrations.graph.all()
  const byFormat = new Map<string, number>()
  for (const meta of all) byFormat.set(meta.format, (byFormat.get(meta.format) ?? 0) + 1)
  const formats = [...byFormat].map(([format, count]) => `${count} ${format}`).join(', ')
  const heads = migrations.graph.heads
  if (server?.versionTableProblem !== undefined) return failedWith(server.versionTableProblem)
  const rows = server?.versionRows
  let at = ''
  if (rows !== undefined) {
    const pending = planUpgrade(migrations.graph, rows, 'heads').steps.length
    at = `; the database is at ${rows.join(', ') || 'base'}${pending === 0 ? ' (head)' : `, ${pending} pending`}`
  }
  const details = heads.length > 1 ? ['several heads: `strata merge -m "merge" heads` joins them'] : []
  // Alembic files are read, never run: say how to stop needing them.
  const alembic = all.filter((meta) => meta.format === 'alembic')
  if (alembic.length > 0) {
    const directories = [...new Set(alembic.map((meta) => displayPath(dirname(meta.file))))]
    details.push(
      `${plural(alembic.length, 'Alembic migration')} Strata reads but does not run: \`strata convert ${directories[0]}\` ports those made of op calls to SQL, with the same revision ids`,
    )
  }
  return {
    status: heads.length > 1 ? 'warn' : 'ok',
    summary: `${plural(all.length, 'migration')}${all.length === 0 ? '' : ` (${formats})`} in ${config.migrations.directories.join(', ')}; ${plural(heads.length, 'head')}${heads.length === 0 ? '' : ` ${heads.join(', ')}`}${at}`,
    details,
  }
}

function backupsOutcome(config: ResolvedConfig): CheckOutcome {
  const directory = config.backup.directory
  if (!existsSync(directory)) return { status: 'ok', summary: `${directory} (created with the first backup)` }
  try {
    accessSync(directory, constants.W_OK)
  } catch {
    return {
      status: 'fail',
      summary: `${directory} cannot be written by this account`,
      details: ['change its permissions, or set backup.directory in the config'],
    }
  }
  const backups = listBackups(directory)
  const newest = backups[0]
  return {
    status: 'ok',
    summary: `${directory}: ${plural(backups.length, 'backup')}${newest === undefined ? '' : `, the newest ${newest.manifest.id} of ${newest.manifest.finishedAt}`}`,
  }
}

/** A check failed by an error Strata worded: its first line, then where (when the line does not say) and the hint. */
function failedWith(error: unknown, withWhere = true): CheckOutcome {
  const known = error instanceof StrataError ? error : undefined
  const summary = String((error as Error)?.message ?? error).split('\n')[0]!
  const where =
    withWhere && known?.where !== undefined && !summary.includes(known.where) ? known.where : undefined
  return {
    status: 'fail',
    summary,
    details: [where, known?.hint].filter((line): line is string => line !== undefined),
  }
}

/**
 * verify's drift check, rehearse, revision --autogenerate and deploy's rehearsal replay
 * the migrations on a scratch database: the role must create one, or health.scratchUrl
 * name a server where it may.
 */
function scratchOutcome(config: ResolvedConfig, facts: ServerFacts): CheckOutcome {
  if (config.health.scratchUrl !== undefined)
    return {
      status: 'ok',
      summary: 'on health.scratchUrl (verify, rehearse, autogenerate and deploy replay migrations there)',
    }
  if (facts.createdb)
    return {
      status: 'ok',
      summary: `${facts.rights.role} may create them (verify, rehearse, autogenerate and deploy replay migrations there)`,
    }
  return {
    status: 'warn',
    summary: `${facts.rights.role} may not create databases: verify's drift check, rehearse, revision --autogenerate and deploy's rehearsal cannot replay the migrations`,
    details: [
      `ALTER ROLE ${sqlIdent(facts.rights.role)} CREATEDB, or set health.scratchUrl to a server where Strata may create one`,
    ],
  }
}
