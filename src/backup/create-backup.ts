import { createHash } from 'node:crypto'
import { chmodSync, createWriteStream, existsSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type pg from 'pg'
import type { ResolvedConfig } from '../config/types.js'
import { sendCancelRequest } from '../db/cancellable-sessions.js'
import { NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { connect } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { quoteTableName } from '../db/quote.js'
import { readVersionRows } from '../db/version-table.js'
import { InvalidInputError, OperationFailedError, UsageError } from '../errors/index.js'
import { systemErrorCause } from '../errors/system-error-hint.js'
import { runnerTables } from '../runner/tables.js'
import { ensureConfiguredDirectory } from '../util/ensure-directory.js'
import { shortList } from '../util/plural.js'
import { removeOnExit } from '../util/remove-on-exit.js'
import { STRATA_VERSION } from '../version.js'
import { archiveExtension, backupPartialPath, reserveBackupId } from './backup-names.js'
import { type CatalogEntry, entryOf } from './catalog.js'
import { connectionArguments, withClientEnvironment } from './client-environment.js'
import { pickClientProgram, probeClientPrograms } from './client-programs.js'
import { compressionPlan, parseCompression } from './compression.js'
import { dumpApplicationName, reportDumpLockWaits } from './dump-lock-wait.js'
import { hashArchive, sizeOf } from './file-hash.js'
import { type BackupFormat, type BackupManifest, manifestPath, writeManifest } from './manifest.js'
import { countRows, tablesMatching } from './row-counts.js'
import { lastLines, runProgram } from './run-program.js'
import { parseSchemaPattern, parseTablePattern } from './table-arguments.js'

export interface BackupOptions {
  readonly config: ResolvedConfig
  readonly spec: ConnectionSpec
  /** Default: `backup.format` from the config. */
  readonly format?: BackupFormat
  readonly schemaOnly?: boolean
  readonly dataOnly?: boolean
  /** `-t TABLE`, repeatable: only these tables (pg_dump patterns). */
  readonly tables?: readonly string[]
  /** Only these schemas, by exact name (a schema-per-tenant tenant). */
  readonly schemas?: readonly string[]
  /**
   * `--exclude-table-data TABLE`, repeatable: these tables' definitions without their
   * rows (pg_dump patterns; each must match a table). Default: `backup.excludeTableData`
   * for a backup of every table, none for one of named tables. A backup that is a safety
   * net (before migrating, before a restore over the live database) passes [].
   */
  readonly excludeTableData?: readonly string[]
  /** Default: `backup.compression`. */
  readonly compression?: string
  /** Directory format: parallel dump jobs. Default: `backup.jobs`. */
  readonly jobs?: number
  /** Default: `backup.directory`. */
  readonly directory?: string
  /** Timestamped progress lines, as the guide prints them. */
  readonly onProgress?: (line: string) => void
}

export interface BackupResult {
  readonly manifest: BackupManifest
  /** The new backup as the catalog lists it, for verifying or restoring it at once. */
  readonly entry: CatalogEntry
  /** Absolute path of the archive. */
  readonly path: string
  readonly manifestPath: string
}

/**
 * Takes a logical backup with pg_dump. The archive and its manifest are written under
 * temporary names and renamed only when pg_dump succeeded, so a failed run leaves
 * nothing that looks like a backup. Row counts come from the very snapshot pg_dump
 * reads (`--snapshot`), so `backups verify --restore-test` can compare them exactly.
 *
 * @example const { manifest } = await createBackup({ config, spec })
 */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const { config } = options
  const directory = options.directory ?? config.backup.directory
  const format = options.format ?? config.backup.format
  const progress = options.onProgress ?? (() => undefined)
  if (options.schemaOnly && options.dataOnly)
    throw new UsageError('--schema-only and --data-only exclude each other', {
      hint: 'pick one; without either, the backup holds both',
    })
  // pg_dump dumps in parallel only into a directory; elsewhere -j would be ignored, and
  // the user would wait for a single-process dump they did not ask for.
  if (options.jobs !== undefined && format !== 'directory')
    throw new UsageError(`--jobs works with --format directory only; this backup's format is ${format}`, {
      hint: `add --format directory to dump with ${options.jobs} jobs (restores take -j with custom backups too), or leave --jobs out`,
    })
  const compressionChoice = parseCompression(options.compression ?? config.backup.compression, format)
  // Read as pg_dump reads them, to count the rows of the very tables it dumps; a
  // malformed one is refused here, before anything is written.
  for (const table of options.tables ?? []) parseTablePattern(table)
  for (const schema of options.schemas ?? []) parseSchemaPattern(schema)
  const fromConfig = options.excludeTableData === undefined && (options.tables ?? []).length === 0
  const withoutData = options.schemaOnly
    ? []
    : (options.excludeTableData ?? (fromConfig ? config.backup.excludeTableData : []))
  for (const table of withoutData) parseTablePattern(table)

  const probing = probeClientPrograms('pg_dump', { pgBinDir: config.pgBinDir })
  const connection = await connect(options.spec)
  try {
    const { client, serverVersionNum } = connection
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]!.v
    const serverMajor = Math.floor(serverVersionNum / 10000)
    const pgDump = pickClientProgram('pg_dump', await probing, {
      purpose: `the server at ${options.spec.host}:${options.spec.port} (PostgreSQL ${version})`,
      minimumMajor: serverMajor,
      pgBinDir: config.pgBinDir,
    })
    const compression = compressionPlan(compressionChoice, pgDump.major)
    const revisions = await readVersionRows(client, runnerTables(config).version, { elsewhere: 'ignore' })
    const exclusions = await tablesMatching(client, withoutData)
    // A typo on the command line is refused; one in the config (a table that a later
    // migration creates, on a database not yet migrated) is said and the backup goes on.
    for (const { pattern, tables: matched } of exclusions) {
      if (matched.length > 0) continue
      if (!fromConfig) throw await nothingMatched(client, 'table', pattern, options, '--exclude-table-data')
      progress(`backup.excludeTableData: no table matches ${pattern}; nothing is left out for it`)
    }
    const rowsLeftOut = [
      ...new Set(exclusions.flatMap((exclusion) => [...exclusion.tables, ...exclusion.partitions])),
    ].sort()
    // A partitioned table's rows are its partitions': each is named to pg_dump exactly.
    const partitionsLeftOut = [...new Set(exclusions.flatMap((exclusion) => exclusion.partitions))]
    await requireRestorableWithout(client, rowsLeftOut, options.spec.database)

    if (withoutData.length > 0) progress(`Leaving out the rows of ${withoutData.join(', ')}`)
    if (existsSync(directory)) progress(`Backup directory: ${directory}`)
    else progress(`Creating backup directory: ${directory}`)
    ensureConfiguredDirectory(directory, 'backup.directory', 0o700)

    const started = new Date()
    const tables = options.tables ?? []
    const kind = options.schemaOnly
      ? 'schema'
      : options.dataOnly
        ? 'data'
        : tables.length > 0
          ? 'tables'
          : 'full'
    const schemas = options.schemas ?? []
    // A tenant schema's backup is named after it too: `app.tenant_acme_<time>`.
    const label =
      schemas.length === 0 ? options.spec.database : `${options.spec.database}.${schemas.join('+')}`
    const id = reserveBackupId(directory, label, started, kind, format === 'directory' ? 'directory' : 'file')
    const file = `${id}${archiveExtension(format, compression.gzipLevel !== undefined)}`
    const finalPath = join(directory, file)
    const partialPath = backupPartialPath(directory, id)
    // Stopped before the failure path below could run, the process still removes it.
    const forgetPartial = removeOnExit(partialPath)
    progress(`Backing up database to: ${file}`)

    // One snapshot for pg_dump and the row counts: both see the same rows.
    let snapshot: string
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id
    } catch (error) {
      rmSync(partialPath, { recursive: true, force: true })
      forgetPartial()
      throw error
    }
    const jobs = options.jobs ?? config.backup.jobs
    const args = [
      ...connectionArguments(options.spec),
      '-w',
      `--snapshot=${snapshot}`,
      `--format=${format}`,
      ...(options.schemaOnly ? ['--schema-only'] : []),
      ...(options.dataOnly ? ['--data-only'] : []),
      ...tables.flatMap((table) => ['-t', table]),
      // Every -t and -n must match something: without this pg_dump drops a misspelt
      // table silently as long as another pattern matches.
      ...(tables.length > 0 || schemas.length > 0 ? ['--strict-names'] : []),
      // Quoted, a pg_dump pattern matches the name exactly: no case folding, no wildcards.
      ...schemas.flatMap((schema) => ['-n', `"${schema.replace(/"/g, '""')}"`]),
      ...withoutData.map((table) => `--exclude-table-data=${table}`),
      // Quoted, the pattern matches exactly, as restore's row counts use it.
      ...partitionsLeftOut.map((table) => `--exclude-table-data=${quoteTableName(table)}`),
      ...(format === 'plain' ? [] : compression.pgDumpArgs),
      ...(format === 'directory' ? ['-j', String(jobs)] : []),
      // Custom and directory archives are written by pg_dump itself, into a seekable
      // file: the archive gets its table of data offsets (pg_restore -j and -t seek
      // straight to a table's data), and nothing is copied through this process: piping
      // 143 MB through Node cost ~1.5 s of CPU beside pg_dump's own on 2 cores, and ~4%
      // of the wall time, where hashing the written file afterwards costs ~1%.
      ...(format === 'plain' ? [] : ['-f', partialPath]),
    ]
    let streamedHash: string | undefined
    try {
      const dumpSpec = { ...options.spec, applicationName: dumpApplicationName(options.spec) }
      const dumping = withClientEnvironment(dumpSpec, async (env) => {
        if (format !== 'plain') {
          // The file (0600) or directory (0700) reserveBackupId created: pg_dump truncates
          // the file and keeps its mode, and writes into the empty directory.
          return runProgram(pgDump.path, args, env)
        }
        // Plain SQL is gzipped here and hashed on the way to the file.
        const hash = createHash('sha256')
        const tap = new PassThrough()
        tap.on('data', (chunk: Buffer) => hash.update(chunk))
        const out = createWriteStream(partialPath, { mode: 0o600 })
        const first =
          compression.gzipLevel !== undefined
            ? createGzip({ level: compression.gzipLevel })
            : new PassThrough()
        // pipeline, not pipe: a write that fails (a full disk) must fail the backup, not
        // go unheard (an 'error' nobody listens to ends the process with a stack trace).
        let writeError: unknown
        out.once('error', (error) => {
          writeError = error
        })
        const writing = pipeline(first, tap, out)
        writing.catch(() => undefined) // awaited below
        try {
          const run = await runProgram(pgDump.path, args, env, { stdout: first })
          await writing
          streamedHash = hash.digest('hex')
          return run
        } catch (error) {
          // pg_dump that never ran leaves the pipeline waiting for an end: settle it.
          first.destroy(error as Error)
          await writing.catch(() => undefined)
          // The file's own error says why (ENOSPC), rather than the stream it stopped.
          throw writeError === undefined ? error : writeFailure(writeError, directory)
        }
      })
      const dump = reportDumpLockWaits(options.spec, dumping, progress)
      const counting = options.schemaOnly
        ? Promise.resolve({})
        : countRows(client, tables, schemas, rowsLeftOut)
      counting.catch(() => undefined) // awaited below, unless pg_dump failed first
      const run = await dump
      // A failed pg_dump (stopped, or an error) leaves the counts of no use, and a count
      // waiting behind another session's lock would hold the failure up for as long.
      if (run.code !== 0) await sendCancelRequest(options.spec, client)
      const rowCounts = run.code === 0 ? await counting : {}
      await client.query('COMMIT')
      if (run.code !== 0) {
        const unmatched = /no matching (tables|schemas) were found(?: for pattern "(.*)")?/.exec(run.stderr)
        if (unmatched)
          throw await nothingMatched(
            client,
            unmatched[1] === 'schemas' ? 'schema' : 'table',
            unmatched[2],
            options,
          )
        if (/No space left on device|Disk quota exceeded/.test(run.stderr))
          throw writeFailure(
            { code: /quota/i.test(run.stderr) ? 'EDQUOT' : 'ENOSPC' } as NodeJS.ErrnoException,
            directory,
          )
        throw new OperationFailedError(`pg_dump failed (exit ${run.code}): ${lastLines(run.stderr)}`, {
          where: options.spec.database,
          hint: 'nothing was written to the backup directory; fix the cause above and run the backup again',
        })
      }
      const finished = new Date()
      if (format === 'directory')
        for (const name of readdirSync(partialPath)) chmodSync(join(partialPath, name), 0o600)
      const sha256 = streamedHash ?? (await hashArchive(partialPath))
      renameSync(partialPath, finalPath)
      forgetPartial()
      const manifest: BackupManifest = {
        manifestVersion: 1,
        id,
        file,
        database: options.spec.database,
        server: { host: options.spec.host, port: options.spec.port, version, versionNum: serverVersionNum },
        revisions,
        format,
        options: {
          schemaOnly: Boolean(options.schemaOnly),
          dataOnly: Boolean(options.dataOnly),
          tables: [...tables],
          ...(schemas.length === 0 ? {} : { schemas: [...schemas] }),
          ...(withoutData.length === 0 ? {} : { excludeTableData: [...withoutData] }),
          compression: compression.label,
          ...(format === 'directory' ? { jobs } : {}),
        },
        sizeBytes: sizeOf(finalPath),
        sha256,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        rowCounts,
        ...(rowsLeftOut.length === 0 ? {} : { rowsLeftOut }),
        tools: { strata: STRATA_VERSION, pgDump: `${pgDump.version} (${pgDump.path})` },
      }
      try {
        writeManifest(directory, manifest)
      } catch (error) {
        // An archive without its manifest would pass for another tool's (a full disk).
        rmSync(finalPath, { recursive: true, force: true })
        throw error
      }
      return {
        manifest,
        entry: entryOf(directory, manifest),
        path: finalPath,
        manifestPath: manifestPath(directory, id),
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      rmSync(partialPath, { recursive: true, force: true })
      forgetPartial()
      throw error
    }
  } finally {
    await connection.close()
  }
}

/**
 * A `-t` pattern (or a tenant schema) that names nothing in the database: bad input, told
 * as such, with the names that do exist so that a typo is seen at once.
 */
async function nothingMatched(
  client: pg.ClientBase,
  what: 'table' | 'schema',
  pattern: string | undefined,
  options: BackupOptions,
  flag = '-t',
): Promise<InvalidInputError> {
  const { rows } = await client.query<{ name: string }>(
    what === 'schema'
      ? `SELECT nspname AS name FROM pg_namespace n WHERE ${NOT_SYSTEM_SCHEMA} ORDER BY 1`
      : `SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND ${NOT_SYSTEM_SCHEMA} ORDER BY 1`,
  )
  const names = rows.map((row) => row.name)
  const existing = names.length === 0 ? `it has no ${what}s` : `its ${what}s: ${shortList(names)}`
  const given = pattern ?? (what === 'table' ? (options.tables ?? []) : (options.schemas ?? [])).join(', ')
  return new InvalidInputError(
    `no ${what} in database ${options.spec.database} matches ${what === 'table' ? `${flag} ` : ''}${given}; nothing was backed up`,
    {
      hint:
        what === 'schema'
          ? existing
          : `${existing}. Names match as in psql's \\d: unquoted ones in lower case, * and ? as wildcards, schema.table for another schema`,
    },
  )
}

/**
 * A table whose rows are left out must not be referenced by a foreign key of a table
 * whose rows are kept: restoring those rows would fail on the key, and the backup would
 * be found unrestorable on the day it is needed.
 */
async function requireRestorableWithout(
  client: pg.ClientBase,
  rowsLeftOut: readonly string[],
  database: string,
): Promise<void> {
  if (rowsLeftOut.length === 0) return
  const { rows } = await client.query<{ key: string; referencing: string; referenced: string }>(
    `SELECT k.conname AS key,
            rn.nspname || '.' || r.relname AS referencing,
            fn.nspname || '.' || f.relname AS referenced
       FROM pg_constraint k
       JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
       JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
      WHERE k.contype = 'f' AND k.conparentid = 0
        AND fn.nspname || '.' || f.relname = ANY ($1::text[])
        AND NOT rn.nspname || '.' || r.relname = ANY ($1::text[])
      ORDER BY 2, 1`,
    [rowsLeftOut],
  )
  if (rows.length === 0) return
  const first = rows[0]!
  throw new InvalidInputError(
    `${first.referencing} references ${first.referenced} (foreign key ${first.key}): a backup of ${database} without the rows of ${first.referenced} but with those of ${first.referencing} could not be restored; nothing was backed up`,
    {
      hint: `leave out the referencing rows too (${[...new Set(rows.map((row) => `--exclude-table-data ${row.referencing}`))].join(' ')}), or keep the rows of ${[...new Set(rows.map((row) => row.referenced))].join(', ')}`,
    },
  )
}

/** A backup file that could not be written: where, why, and that nothing was kept. */
function writeFailure(error: unknown, directory: string): Error {
  const code = (error as NodeJS.ErrnoException)?.code
  const why = systemErrorCause(error) ?? (error as Error)?.message ?? String(error)
  return new OperationFailedError(`cannot write the backup into ${directory}: ${why}`, {
    where: directory,
    hint:
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'nothing was kept; free space there (`strata backups prune` lists what retention would delete) or set backup.directory to a larger disk, then run the backup again'
        : 'nothing was kept; fix the cause above and run the backup again',
  })
}
