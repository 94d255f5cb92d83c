import type { ResolvedConfig } from '../config/types.js'
import { type Connection, connect } from '../db/connect.js'
import { type ConnectionSpec, withDatabase } from '../db/connection-spec.js'
import { freeDatabaseNames } from '../db/free-database-names.js'
import { maintenanceConnection } from '../db/maintenance-connection.js'
import { quoteIdent, quoteTableName, sqlIdent } from '../db/quote.js'
import { limitReadLockWaits } from '../db/read-lock-waits.js'
import { hasSqlState, INSUFFICIENT_PRIVILEGE } from '../db/sqlstate.js'
import { readVersionRows, relationExists } from '../db/version-table.js'
import { prettySize } from '../diagnose/sizes.js'
import { OperationFailedError, UsageError } from '../errors/index.js'
import { managedSchemas } from '../health/managed-schemas.js'
import { checkTableAccess } from '../health/table-access.js'
import { runnerTables } from '../runner/tables.js'
import { sayOnAbruptExit } from '../util/exit-notes.js'
import { shortList } from '../util/plural.js'
import { fileTimestamp } from './backup-names.js'
import type { CatalogEntry } from './catalog.js'
import { createBackup } from './create-backup.js'
import { copyDatabaseProperties, swapWithServicesStopped } from './database-swap.js'
import { refuseOutsideReferences } from './foreign-key-guard.js'
import { listKeptDatabases } from './kept-databases.js'
import type { BackupManifest } from './manifest.js'
import { restoreArchive } from './restore-archive.js'
import { findRestoreBackup, requireWholeBackup } from './restore-source.js'
import { countRows } from './row-counts.js'
import { compareRowCounts } from './scratch-restore.js'
import { resolveTableArguments } from './table-arguments.js'
import { describeLeftBehind, tablesLeftBehind } from './tables-left-behind.js'
import { verifyBackup } from './verify-backup.js'

export interface RestoreOptions {
  readonly config: ResolvedConfig
  /** The live database. */
  readonly spec: ConnectionSpec
  /** A catalog id, `latest`, or an archive path. */
  readonly backup: string
  /** Restore over the live database (custom/directory backups; a safety backup is taken first). */
  readonly inPlace?: boolean
  /** Partial restore of these tables into the live database, in one transaction. */
  readonly tables?: readonly string[]
  /** With `tables`: replace their rows only (TRUNCATE + data), keeping their definitions. */
  readonly dataOnly?: boolean
  readonly noOwner?: boolean
  readonly noAcl?: boolean
  /** The backup is of another database (production's, into staging): meant, not a slip. */
  readonly intoOtherDatabase?: boolean
  readonly jobs?: number
  /** Asked before an in-place restore; the CLI asks on the terminal or takes --yes. */
  readonly confirm?: (question: string) => Promise<boolean>
  readonly onProgress?: (line: string) => void
}

export interface RestoreResult {
  /** `created`: the database did not exist (a new server after a loss); the restored copy became it. */
  readonly mode: 'swap' | 'in-place' | 'partial' | 'created'
  readonly backupId: string
  readonly database: string
  /** Swap: the previous database, kept under this name. */
  readonly keptAs?: string
  /** In-place and partial: the backup taken of what was about to be overwritten. */
  readonly safetyBackupId?: string
  readonly sessionsEnded?: number
}

/**
 * Restores a backup. By default nothing touches the live database until a restored copy
 * has been verified: the archive is checked, restored into `<db>_restore_<time>`, its
 * row counts and tables checked, and only then swapped in by renaming (the old one is
 * kept as `<db>_pre_restore_<time>`). Partial and in-place restores change the live
 * database in one transaction, after a safety backup of what they overwrite.
 *
 * @example await restoreBackup({ config, spec, backup: 'latest', onProgress: console.log })
 */
export async function restoreBackup(request: RestoreOptions): Promise<RestoreResult> {
  const progress = request.onProgress ?? (() => undefined)
  if (request.inPlace && (request.tables?.length ?? 0) > 0)
    throw new UsageError('--in-place and -t exclude each other', {
      hint: 'a table restore always goes into the live database',
    })
  if (request.dataOnly && (request.tables?.length ?? 0) === 0)
    throw new UsageError('--data-only restores need the tables to replace', {
      hint: 'add -t TABLE (repeatable)',
    })
  progress('Starting database restore')
  const { entry, passedOver } = findRestoreBackup(request.backup, request.config.backup.directory, {
    database: request.spec.database,
    intoOtherDatabase: Boolean(request.intoOtherDatabase),
    ...(request.tables === undefined
      ? {}
      : { holds: holdsTables(request.tables, Boolean(request.dataOnly)) }),
  })
  if (passedOver.length > 0)
    progress(
      `latest: ${entry.manifest.id}; passed over, newer: ${passedOver.map((skipped) => `${skipped.id} (${skipped.why})`).join(', ')}`,
    )
  // `-t 'audit_*'` names the tables the backup holds that match, and `-t Users` the table
  // users, as pg_dump's -t does; after this every table is named `schema.table`, exactly.
  const options: RestoreOptions =
    request.tables === undefined
      ? request
      : {
          ...request,
          tables: resolveTableArguments(
            request.tables,
            Object.keys(entry.manifest.rowCounts),
            entry.manifest.id,
          ),
        }
  if (entry.manifest.database !== options.spec.database && !options.intoOtherDatabase)
    throw new UsageError(
      `backup ${entry.manifest.id} is of database ${entry.manifest.database} (${entry.manifest.server.host}:${entry.manifest.server.port}), not of ${options.spec.database}, the database it would restore into. Nothing was changed`,
      {
        hint: `pick a backup of ${options.spec.database} (\`strata backups list\`), or select ${entry.manifest.database} (-n NAME or --url); to restore it into ${options.spec.database} on purpose, add --into-other-database`,
      },
    )
  if ((options.tables?.length ?? 0) === 0) requireWholeBackup(entry.manifest)
  else if (entry.manifest.format === 'base')
    throw new UsageError(`${entry.manifest.id} is a base backup (physical)`, {
      hint: 'restore it with `strata pitr restore --target-time ...`',
    })
  if ((options.tables?.length ?? 0) > 0)
    requireTablesInBackup(entry.manifest, options.tables ?? [], Boolean(options.dataOnly))
  if (options.jobs !== undefined && options.jobs > 1) requireParallelRestore(entry.manifest, options)
  // A restore into a throw-away copy reads every byte itself: after the checksum, a full
  // read first would only double the time. Restores into the live database read it all first.
  const intoCopy = !options.inPlace && (options.tables?.length ?? 0) === 0
  progress(`Verifying backup ${entry.manifest.id} (${intoCopy ? 'checksum' : 'checksum, full read'})`)
  const verification = await verifyBackup(entry, { pgBinDir: options.config.pgBinDir, fullRead: !intoCopy })
  if (!verification.ok) {
    const failed = verification.checks.find((check) => !check.ok)!
    throw new OperationFailedError(
      `backup ${entry.manifest.id} is not usable: ${failed.detail}. The live database was not touched`,
      {
        where: entry.archivePath,
        hint: '`strata backups list` shows the other backups; restore one that verifies',
      },
    )
  }
  if (!(await databaseExists(options.spec))) {
    // A new server after the old one was lost: the restored copy becomes the database.
    if (!intoCopy)
      throw new UsageError(
        `database ${options.spec.database} does not exist on ${options.spec.host}:${options.spec.port}, so there is nothing to restore ${options.inPlace ? 'over' : 'tables into'}. Nothing was restored`,
        { hint: `a full restore creates it: strata restore ${entry.manifest.id}` },
      )
    return restoreAsNewDatabase(options, entry, verification.owners, progress)
  }
  const live = await connect(options.spec)
  try {
    requireServerNotOlder(live, entry.manifest)
    await requireRoles(live, verification.owners, options)
    if ((options.tables?.length ?? 0) > 0) return await restorePartial(options, entry, live, progress)
    if (options.inPlace) return await restoreInPlace(options, entry, live, progress)
  } finally {
    await live.close()
  }
  return restoreBySwap(options, entry, progress)
}

/**
 * `-j` is pg_restore's parallel workers, used only where a whole custom or directory
 * backup goes into a new database: elsewhere the restore runs in one transaction (or
 * through psql), which one session does, and the option would be dropped without a word.
 */
function requireParallelRestore(manifest: BackupManifest, options: RestoreOptions): void {
  const why =
    manifest.format === 'plain'
      ? `${manifest.id} is a plain SQL backup, which psql restores in one session`
      : (options.tables?.length ?? 0) > 0
        ? 'a table restore goes into the live database in one transaction, which one session runs'
        : options.inPlace
          ? 'an in-place restore runs in one transaction, which one session runs'
          : undefined
  if (why === undefined) return
  throw new UsageError(`--jobs ${options.jobs} cannot be used here: ${why}. Nothing was changed`, {
    hint: 'leave out -j; a whole restore of a custom or directory backup (beside the live database) runs in parallel',
  })
}

async function databaseExists(spec: ConnectionSpec): Promise<boolean> {
  const admin = await maintenanceConnection(spec)
  try {
    const { rows } = await admin.client.query('SELECT 1 FROM pg_database WHERE datname = $1', [spec.database])
    return rows.length > 0
  } finally {
    await admin.close()
  }
}

/**
 * The database does not exist (the server is new): restored into `<db>_restore_<time>`
 * and checked as a swap would be, then renamed to the database's name. Nothing to keep
 * aside, no sessions to end, no services to stop.
 */
async function restoreAsNewDatabase(
  options: RestoreOptions,
  entry: CatalogEntry,
  owners: readonly string[],
  progress: (line: string) => void,
): Promise<RestoreResult> {
  const { spec } = options
  const admin = await maintenanceConnection(spec)
  try {
    const [copy] = (await freeDatabaseNames(
      admin.client,
      spec.database,
      ['_restore_'],
      fileTimestamp(new Date()),
    )) as [string]
    requireServerNotOlder(admin, entry.manifest)
    await requireRoles(admin, owners, options)
    progress(`Database ${spec.database} does not exist on this server: restoring the backup as it`)
    await restoreIntoCopy(
      options,
      entry,
      admin,
      {
        name: copy,
        createSql: `CREATE DATABASE ${quoteIdent(copy)} TEMPLATE template0`,
        leftover: `nothing else was changed; the partial copy is ${copy} (remove it with: DROP DATABASE ${quoteIdent(copy)})`,
        failure: 'restore failed',
      },
      progress,
    )
    progress(`Renaming ${copy} to ${spec.database}`)
    await admin.client.query(`ALTER DATABASE ${quoteIdent(copy)} RENAME TO ${quoteIdent(spec.database)}`)
    progress('✓ Restored copy checked and in place')
    return { mode: 'created', backupId: entry.manifest.id, database: spec.database }
  } finally {
    await admin.close()
  }
}

/**
 * pg_dump writes SQL for its own server's major version and newer ones; an older
 * server may reject it part-way (new syntax, new catalog options). Refused before
 * anything is created, rather than failing in the middle of the restore.
 */
function requireServerNotOlder(connection: Connection, manifest: BackupManifest): void {
  const from = Math.floor(manifest.server.versionNum / 10000)
  const into = Math.floor(connection.serverVersionNum / 10000)
  if (from <= into) return
  throw new UsageError(
    `backup ${manifest.id} was taken from PostgreSQL ${from} (${manifest.server.version}); this server is PostgreSQL ${into}, and PostgreSQL does not support loading a dump into an older major version. Nothing was restored`,
    {
      hint: `restore into a PostgreSQL ${from} or newer server (--url), or upgrade this one first`,
    },
  )
}

/** Roles that own objects in the archive must exist on the target, unless ownership is left out. */
async function requireRoles(
  connection: Connection,
  owners: readonly string[],
  options: RestoreOptions,
): Promise<void> {
  if (options.noOwner || owners.length === 0) return
  const { rows } = await connection.client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_roles WHERE rolname = ANY($1)',
    [owners],
  )
  const missing = owners.filter((owner) => !rows.some((row) => row.rolname === owner))
  if (missing.length === 0) return
  throw new OperationFailedError(
    `the backup's objects belong to role${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which ${missing.length === 1 ? 'does' : 'do'} not exist on this server. Nothing was restored`,
    {
      hint: `create ${missing.length === 1 ? 'it' : 'them'} first (CREATE ROLE ${quoteIdent(missing[0]!)}), or restore with --no-owner --no-acl to give every object to the restoring role`,
    },
  )
}

async function restoreBySwap(
  options: RestoreOptions,
  entry: CatalogEntry,
  progress: (line: string) => void,
): Promise<RestoreResult> {
  const { config, spec } = options
  const admin = await maintenanceConnection(spec)
  // What a signal that ends Strata at once leaves behind, said on the way out.
  let takeNoteBack = () => {}
  try {
    const [copy, keptAs] = (await freeDatabaseNames(
      admin.client,
      spec.database,
      ['_restore_', '_pre_restore_'],
      fileTimestamp(new Date()),
    )) as [string, string]
    const facts = await admin.client.query<{
      encoding: string
      collate: string
      ctype: string
      owner: string
    }>(
      `SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype, pg_get_userbyid(datdba) AS owner
         FROM pg_database WHERE datname = $1`,
      [spec.database],
    )
    const db = facts.rows[0]
    if (db === undefined)
      throw new OperationFailedError(`database ${spec.database} does not exist on this server`)
    const leftover = `the live database ${spec.database} was not touched; the partial copy is ${copy} (remove it with: DROP DATABASE ${quoteIdent(copy)})`
    takeNoteBack = sayOnAbruptExit(`restore stopped before the swap: ${leftover}`)
    await restoreIntoCopy(
      options,
      entry,
      admin,
      {
        name: copy,
        createSql: `CREATE DATABASE ${quoteIdent(copy)} TEMPLATE template0 ENCODING '${db.encoding}' LC_COLLATE '${db.collate.replace(/'/g, "''")}' LC_CTYPE '${db.ctype.replace(/'/g, "''")}'`,
        leftover,
        failure: 'restore failed before the swap',
      },
      progress,
    )
    try {
      await copyDatabaseProperties(admin.client, spec.database, copy)
      await admin.client
        .query(`ALTER DATABASE ${quoteIdent(copy)} OWNER TO ${quoteIdent(db.owner)}`)
        .catch(() => undefined)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new OperationFailedError(`restore failed before the swap: ${message}`, { hint: leftover })
    }
    // Said before the swap: a table the backup lacks is then only in the copy kept aside.
    const leftBehind = await tablesLeftBehind(spec, withDatabase(spec, copy))
    if (leftBehind.length > 0)
      progress(
        `${spec.database} has ${leftBehind.length === 1 ? 'a table' : `${leftBehind.length} tables`} the backup does not; after the swap only ${keptAs} holds ${leftBehind.length === 1 ? 'it' : 'them'}: ${describeLeftBehind(leftBehind)}`,
      )
    const sessionsEnded = await swapWithServicesStopped(
      config,
      admin.client,
      { live: spec.database, copy, keptAs, leftover },
      progress,
    )
    takeNoteBack()
    takeNoteBack = sayOnAbruptExit(
      `restore stopped after the swap: ${spec.database} is the restored backup and the previous database is kept as ${keptAs}; the health checks did not finish: run \`strata health\``,
    )
    progress('Running health checks...')
    const after = await checkRestoredDatabase(spec, entry, config)
    if (after.length > 0) {
      throw new OperationFailedError(`the restored database fails its health checks: ${after.join('; ')}`, {
        hint: `the previous database is intact as ${keptAs}; to swap back: ALTER DATABASE ${quoteIdent(spec.database)} RENAME TO ${quoteIdent(copy)}; ALTER DATABASE ${quoteIdent(keptAs)} RENAME TO ${quoteIdent(spec.database)}`,
      })
    }
    progress('✓ All health checks passed')
    // Each restore sets a whole database aside; earlier ones are still there, taking disk.
    const earlier = (await listKeptDatabases(admin.client, spec.database)).filter(
      (kept) => kept.kind === 'pre_restore' && kept.name !== keptAs,
    )
    if (earlier.length > 0)
      progress(
        `${earlier.length} earlier pre-restore ${earlier.length === 1 ? 'copy' : 'copies'} of ${spec.database} ${earlier.length === 1 ? 'is' : 'are'} still on the server (${prettySize(earlier.reduce((sum, kept) => sum + kept.bytes, 0))}): ${earlier.map((kept) => kept.name).join(', ')}; \`strata backups saved\` lists them, \`strata backups prune --yes\` drops those past retention`,
      )
    return { mode: 'swap', backupId: entry.manifest.id, database: spec.database, keptAs, sessionsEnded }
  } finally {
    takeNoteBack()
    await admin.close()
  }
}

/**
 * Creates `copy`, restores the archive into it and checks it against the manifest (row
 * counts, version table, every table readable). Anything failing is thrown as "<what>
 * failed ..." with `leftover` (where the partial copy is, how to remove it) as the hint.
 */
async function restoreIntoCopy(
  options: RestoreOptions,
  entry: CatalogEntry,
  admin: Connection,
  copy: { name: string; createSql: string; leftover: string; failure: string },
  progress: (line: string) => void,
): Promise<void> {
  const { config, spec } = options
  progress(`Creating fresh database ${copy.name}`)
  try {
    await admin.client.query(copy.createSql)
  } catch (error) {
    if (!hasSqlState(error, INSUFFICIENT_PRIVILEGE)) throw error
    // Managed servers often give the application's role no CREATEDB: the safe restore
    // cannot build its copy, and the way out must not be to drop the live database.
    throw new OperationFailedError(
      `${spec.user} may not create databases, and a restore builds and checks the restored copy as a new database (${copy.name}) before it touches ${spec.database}. Nothing was changed`,
      {
        hint: `as a superuser (or the server's admin role): ALTER ROLE ${sqlIdent(spec.user)} CREATEDB; or run the restore as a role that may (--url); or restore into the live database with --in-place, which takes a backup of it first and asks before it changes anything`,
        cause: error,
      },
    )
  }
  try {
    progress(`Restoring from: ${entry.manifest.file}`)
    const withoutRows = entry.manifest.rowsLeftOut ?? []
    if (withoutRows.length > 0)
      progress(
        `The backup left out the rows of ${withoutRows.join(', ')} (--exclude-table-data): restored empty; the database the restore replaces keeps its rows`,
      )
    await restoreArchive({
      entry,
      spec: withDatabase(spec, copy.name),
      serverMajor: Math.floor(admin.serverVersionNum / 10000),
      mode: { kind: 'fresh', jobs: options.jobs ?? config.backup.jobs },
      noOwner: Boolean(options.noOwner),
      noAcl: Boolean(options.noAcl),
      pgBinDir: config.pgBinDir,
    })
    progress('Checking the restored copy (row counts, version table, every table readable)')
    const problems = await checkRestoredDatabase(withDatabase(spec, copy.name), entry, config)
    if (problems.length > 0)
      throw new OperationFailedError(`the restored copy does not match the backup: ${problems.join('; ')}`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new OperationFailedError(`${copy.failure}: ${message}`, { hint: copy.leftover })
  }
}

/** Row counts against the manifest, the version table against the manifest, and a read of every table. */
async function checkRestoredDatabase(
  spec: ConnectionSpec,
  entry: CatalogEntry,
  config: ResolvedConfig,
): Promise<string[]> {
  const connection = await connect(spec)
  try {
    const { client } = connection
    const problems: string[] = []
    if (!entry.manifest.options.schemaOnly)
      problems.push(
        ...compareRowCounts(entry.manifest.rowCounts, await countRows(client, entry.manifest.options.tables)),
      )
    if (!entry.manifest.options.dataOnly && entry.manifest.options.tables.length === 0) {
      const rows = await readVersionRows(client, runnerTables(config).version, { elsewhere: 'ignore' })
      if (rows.join(',') !== entry.manifest.revisions.join(','))
        problems.push(
          `version table holds ${rows.join(', ') || 'nothing'}, the backup was at ${entry.manifest.revisions.join(', ') || 'base'}`,
        )
    }
    const { schemas } = await managedSchemas(client, undefined)
    await limitReadLockWaits(client)
    const access = await checkTableAccess(client, schemas)
    if (access.status === 'fail') problems.push(...(access.details ?? [access.summary]))
    return problems
  } finally {
    await connection.close()
  }
}

async function restorePartial(
  options: RestoreOptions,
  entry: CatalogEntry,
  live: Connection,
  progress: (line: string) => void,
): Promise<RestoreResult> {
  const tables = options.tables ?? []
  if (entry.manifest.format === 'plain')
    throw new UsageError('tables cannot be picked out of a plain SQL backup', {
      hint: 'partial restores need a custom or directory backup (strata backup --format custom)',
    })
  await refuseOutsideReferences(live.client, tables, Boolean(options.dataOnly))
  // Only what exists can be overwritten: a dropped table is simply recreated.
  const existing = await existingTables(live.client, tables)
  const absent = tables.filter((table) => !existing.includes(table))
  if (options.dataOnly && absent.length > 0)
    throw new UsageError(
      `${absent.join(', ')} ${absent.length === 1 ? 'does' : 'do'} not exist in ${options.spec.database}: rows alone cannot be restored into ${absent.length === 1 ? 'it' : 'them'}. Nothing was changed`,
      {
        hint: `restore the table${absent.length === 1 ? '' : 's'} with ${absent.length === 1 ? 'its definition' : 'their definitions'}: leave out --data-only`,
      },
    )
  // Definitions alone recreate a table empty: fine for one that is gone, not for one in use.
  if (entry.manifest.options.schemaOnly && existing.length > 0)
    throw new UsageError(
      `backup ${entry.manifest.id} holds the definitions only (a --schema-only backup): restoring ${existing.join(', ')} from it would recreate ${existing.length === 1 ? 'it' : 'them'} empty. Nothing was changed`,
      {
        hint: 'restore from a backup with rows (`strata backups list`); a schema-only backup brings back tables that no longer exist',
      },
    )
  let safety: { manifest: { id: string } } | undefined
  if (existing.length > 0) {
    progress(
      `Safety backup of ${existing.join(', ')} before replacing ${existing.length === 1 ? 'it' : 'them'}`,
    )
    safety = await createBackup({
      config: options.config,
      spec: options.spec,
      format: 'custom',
      tables: existing,
    })
  }
  progress(
    `Restoring ${tables.join(', ')} from ${entry.manifest.file}${options.dataOnly ? ' (rows only)' : ''} in one transaction`,
  )
  await restoreArchive({
    entry,
    spec: options.spec,
    serverMajor: Math.floor(live.serverVersionNum / 10000),
    mode: { kind: 'partial', tables, dataOnly: Boolean(options.dataOnly) },
    noOwner: Boolean(options.noOwner),
    noAcl: Boolean(options.noAcl),
    pgBinDir: options.config.pgBinDir,
    lock: options.config.lock,
    onRetry: progress,
  })
  const restored = await countRows(live.client, tables.map(quoteTableName))
  const expected = Object.fromEntries(
    Object.entries(entry.manifest.rowCounts).filter(([table]) => table in restored),
  )
  const problems = compareRowCounts(expected, restored)
  if (problems.length > 0)
    throw new OperationFailedError(`the restored tables do not match the backup: ${problems.join('; ')}`, {
      hint:
        safety === undefined
          ? 'the tables did not exist before; drop them and restore again'
          : `the previous rows are in the safety backup ${safety.manifest.id}`,
    })
  progress(
    `✓ Restored ${Object.entries(restored)
      .map(([table, rows]) => `${table} (${rows} rows)`)
      .join(', ')}`,
  )
  return {
    mode: 'partial',
    backupId: entry.manifest.id,
    database: options.spec.database,
    ...(safety === undefined ? {} : { safetyBackupId: safety.manifest.id }),
  }
}

/** Those of `tables` (as `-t` names them: exact, optionally schema-qualified) that exist. */
async function existingTables(client: Connection['client'], tables: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const table of tables) if (await relationExists(client, quoteTableName(table))) found.push(table)
  return found
}

/** For `latest` with -t: whether a backup holds those tables (as the restore would need them), or why not. */
function holdsTables(
  tables: readonly string[],
  dataOnly: boolean,
): (manifest: BackupManifest) => string | undefined {
  return (manifest) => {
    if (manifest.format === 'base') return 'a base backup'
    if (manifest.format === 'plain') return 'plain SQL: tables cannot be picked out of it'
    if (manifest.options.schemaOnly && dataOnly) return 'definitions only, no rows'
    try {
      const resolved = resolveTableArguments(tables, Object.keys(manifest.rowCounts), manifest.id)
      requireTablesInBackup(manifest, resolved, dataOnly)
      return undefined
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      return `without the rows of ${shortList(tables, 3)}`
    }
  }
}

/** Rows cannot be restored from a schema-only backup. */
function requireTablesInBackup(manifest: BackupManifest, tables: readonly string[], dataOnly: boolean): void {
  if (manifest.options.schemaOnly && dataOnly)
    throw new UsageError(
      `backup ${manifest.id} is schema-only: it holds no rows to restore. Nothing was changed`,
      {
        hint: '`strata backups list` shows backups with data; restore the table definitions without --data-only',
      },
    )
  // Restoring a table the backup holds without rows would empty the live one.
  const empty = tables.filter((table) => manifest.rowsLeftOut?.includes(table))
  if (empty.length > 0)
    throw new UsageError(
      `backup ${manifest.id} holds no rows of ${empty.join(', ')} (left out with --exclude-table-data): restoring ${empty.length === 1 ? 'it' : 'them'} would empty the live table${empty.length === 1 ? '' : 's'}. Nothing was changed`,
      {
        hint: '`strata backups list` shows which backups left rows out; restore from one that holds them (a backup taken before migrating always does)',
      },
    )
}

async function restoreInPlace(
  options: RestoreOptions,
  entry: CatalogEntry,
  live: Connection,
  progress: (line: string) => void,
): Promise<RestoreResult> {
  if (entry.manifest.format === 'plain')
    throw new UsageError('an in-place restore needs a custom or directory backup', {
      hint: 'restore this plain backup without --in-place: it is restored beside the live database and swapped in',
    })
  const withoutRows = entry.manifest.rowsLeftOut ?? []
  const question = `Restore ${entry.manifest.id} over the live database ${options.spec.database}, replacing its objects${withoutRows.length > 0 ? ` and emptying ${withoutRows.join(', ')} (the backup left their rows out)` : ''}?`
  if (!(await (options.confirm ?? (async () => false))(question)))
    throw new UsageError('in-place restore not confirmed; nothing was changed', {
      hint: 'answer yes, or pass --yes',
    })
  progress('Safety backup of the live database before overwriting it')
  const safety = await createBackup({
    config: options.config,
    spec: options.spec,
    format: 'custom',
    excludeTableData: [],
  })
  progress(`Restoring ${entry.manifest.file} over ${options.spec.database} in one transaction`)
  await restoreArchive({
    entry,
    spec: options.spec,
    serverMajor: Math.floor(live.serverVersionNum / 10000),
    mode: { kind: 'in-place' },
    noOwner: Boolean(options.noOwner),
    noAcl: Boolean(options.noAcl),
    pgBinDir: options.config.pgBinDir,
    lock: options.config.lock,
    onRetry: progress,
  })
  progress('✓ Restore completed successfully')
  return {
    mode: 'in-place',
    backupId: entry.manifest.id,
    database: options.spec.database,
    safetyBackupId: safety.manifest.id,
  }
}
