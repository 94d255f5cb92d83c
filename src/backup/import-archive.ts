import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { InvalidInputError, UsageError } from '../errors/index.js'
import { ensureConfiguredDirectory } from '../util/ensure-directory.js'
import { STRATA_VERSION } from '../version.js'
import { databaseOfBackupId } from './backup-names.js'
import { archivePathOf, archiveStem, listBackups } from './catalog.js'
import { type ClientProgram, ClientProgramError, listClientPrograms } from './client-programs.js'
import { CUT_SHORT, type DumpTextFacts, DumpTextScanner, readPlainDump } from './dump-text.js'
import { hashArchive, sizeOf } from './file-hash.js'
import { type BackupFormat, type BackupManifest, manifestPath, writeManifest } from './manifest.js'
import { tableOfContents } from './read-archive.js'
import { lastLines, runProgram } from './run-program.js'

export interface ImportOptions {
  readonly config: ResolvedConfig
  /** The archive: a path, or a name in the backup directory. */
  readonly archive: string
  /** The database it is a backup of, when the archive does not say (a plain dump). */
  readonly database?: string
  /** The server the project's database is on, so that retention groups the import with its backups. */
  readonly server?: { readonly host: string; readonly port: number }
}

export interface ImportResult {
  readonly manifest: BackupManifest
  /** Where the archive was copied from, when it was outside the backup directory. */
  readonly copiedFrom: string | undefined
}

/**
 * Adopts an archive another tool wrote (the guide's `backup_database.sh`: `<db>_<time>.sql.gz`;
 * `pg_dump -Fc`; a directory dump) into the catalog, so that `strata restore` can check
 * and restore it like its own backups. The whole archive is read first, as a restore
 * would: gzip's checksum, pg_dump's trailer (a plain dump cut short has none), and for
 * custom and directory archives pg_restore decompressing every table. From that read
 * come the facts a manifest holds: the server and pg_dump versions, the rows of every
 * table (its COPY lines) and the version table's revisions. A damaged archive is refused
 * with what is wrong, and nothing is written. An archive outside the backup directory is
 * copied in (0600); the original is left where it was.
 *
 * @example const { manifest } = await importArchive({ config, archive: 'assistant_20251126_100001.sql.gz' })
 */
export async function importArchive(options: ImportOptions): Promise<ImportResult> {
  const { config } = options
  const directory = config.backup.directory
  const source = locate(options.archive, directory)
  const name = basename(source)
  const inDirectory = resolve(dirname(source)) === resolve(directory)
  const known = listBackups(directory).find((entry) => entry.manifest.file === name)
  if (known !== undefined)
    throw new UsageError(`${name} is already in the catalog, as backup ${known.manifest.id}`, {
      hint: `restore it with \`strata restore ${known.manifest.id}\``,
    })
  const id = archiveStem(name)
  if (existsSync(manifestPath(directory, id)))
    throw new UsageError(`a backup named ${id} is already in ${directory}; ${name} was not imported`, {
      hint: 'rename the archive and import it again',
    })
  const format = formatOf(source)
  const reading = await readWhole(source, format, config)
  if (reading.problem !== undefined)
    throw new InvalidInputError(
      `${options.archive} cannot be imported: ${reading.problem}. Nothing was written`,
      {
        where: options.archive,
        hint: reading.notADump
          ? NOT_A_DUMP_HINT
          : 'the archive is damaged or was cut short: restore from another one, and take backups with `strata backup` from now on',
      },
    )
  const { facts } = reading
  const database = options.database ?? reading.database ?? databaseOfBackupId(id)
  if (database === undefined)
    throw new UsageError(`${options.archive} does not say which database it is a backup of`, {
      hint: `name it: strata backups import ${options.archive} --database NAME`,
    })
  const target = join(directory, name)
  if (!inDirectory) {
    if (existsSync(target))
      throw new UsageError(`${directory} already holds a file named ${name}; nothing was imported`, {
        hint: `import ${target} itself, or rename the archive`,
      })
    ensureConfiguredDirectory(directory, 'backup.directory', 0o700)
    cpSync(source, target, { recursive: true })
  }
  try {
    // A backup is readable by its owner only, whoever wrote it.
    ownerOnly(target)
    const finished = statSync(source).mtime.toISOString()
    const version = facts.dumpedFrom ?? '0'
    const manifest: BackupManifest = {
      manifestVersion: 1,
      id,
      file: name,
      database,
      server: {
        host: options.server?.host ?? 'unknown',
        port: options.server?.port ?? 0,
        version,
        versionNum: versionNumber(version),
      },
      revisions: facts.versionRows,
      format: format.format,
      options: {
        schemaOnly: Object.keys(facts.rowCounts).length === 0,
        dataOnly: Boolean(reading.dataOnly) && Object.keys(facts.rowCounts).length > 0,
        tables: [],
        compression: format.compressed ? 'gzip' : 'none',
      },
      sizeBytes: sizeOf(target),
      sha256: await hashArchive(target),
      // Another tool's backup has no record of when it started: its file's time is when it was written.
      startedAt: finished,
      finishedAt: finished,
      rowCounts: facts.rowCounts,
      tools: { strata: STRATA_VERSION, pgDump: `${facts.dumpedBy ?? 'unknown'} (imported from ${source})` },
      verified: { at: new Date().toISOString(), method: 'read' },
    }
    writeManifest(directory, manifest)
    return { manifest, copiedFrom: inDirectory ? undefined : source }
  } catch (error) {
    if (!inDirectory) rmSync(target, { recursive: true, force: true })
    throw error
  }
}

/** The archive named: a path, or a file of the backup directory. */
function locate(archive: string, directory: string): string {
  const path = archivePathOf(archive, directory)
  if (path !== undefined) return path
  throw new InvalidInputError(`${archive}: no such file, here or in ${directory}`, {
    where: archive,
    hint: '`strata backups list` names the archives in the backup directory that have no manifest',
  })
}

const NOT_A_DUMP_HINT =
  'import what pg_dump wrote for one database without --create: a plain SQL dump (gzipped or not), a custom (-Fc) or a directory (-Fd) archive'

/** What kind of archive a file is, by its first bytes (names lie). */
function formatOf(path: string): { format: BackupFormat; compressed: boolean } {
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'toc.dat'))) return { format: 'directory', compressed: false }
    throw new InvalidInputError(
      `${path} is a directory without pg_dump's toc.dat: not a directory-format dump`,
      { where: path, hint: NOT_A_DUMP_HINT },
    )
  }
  const head = Buffer.alloc(5)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, head, 0, 5, 0)
  } finally {
    closeSync(fd)
  }
  if (head.toString('latin1') === 'PGDMP') return { format: 'custom', compressed: true }
  if (head[0] === 0x1f && head[1] === 0x8b) return { format: 'plain', compressed: true }
  if (path.endsWith('.tar'))
    throw new InvalidInputError(`${path}: tar-format dumps are not supported`, {
      where: path,
      hint: 'restore it with pg_restore; Strata takes custom, directory and plain backups',
    })
  return { format: 'plain', compressed: false }
}

function ownerOnly(path: string): void {
  if (!statSync(path).isDirectory()) {
    chmodSync(path, 0o600)
    return
  }
  chmodSync(path, 0o700)
  for (const name of readdirSync(path)) chmodSync(join(path, name), 0o600)
}

interface WholeReading {
  readonly facts: DumpTextFacts
  /** The database the archive names (custom and directory archives do). */
  readonly database: string | undefined
  /** Rows without table definitions (`pg_dump --data-only`). */
  readonly dataOnly?: boolean
  readonly problem: string | undefined
  /** The file is no pg_dump output at all (as opposed to a damaged one). */
  readonly notADump?: boolean
}

async function readWhole(
  path: string,
  format: { format: BackupFormat; compressed: boolean },
  config: ResolvedConfig,
): Promise<WholeReading> {
  const versionTable = `${config.migrations.versionTableSchema}.${config.migrations.versionTable}`
  if (format.format === 'plain') {
    const { facts, damaged } = await readPlainDump(path, format.compressed, versionTable)
    if (damaged !== undefined) return { facts, database: undefined, problem: damaged }
    if (facts.dumpedBy === undefined)
      return {
        facts,
        database: undefined,
        problem: 'it is not a pg_dump SQL script (no "Dumped by pg_dump" header)',
        notADump: true,
      }
    if (facts.switchesDatabase !== undefined)
      return {
        facts,
        database: undefined,
        problem: `it creates or switches databases (${facts.switchesDatabase.slice(0, 60)}: pg_dump --create or pg_dumpall), so a restore would write into the database it names, not into a copy`,
        notADump: true,
      }
    if (!facts.complete) return { facts, database: undefined, problem: CUT_SHORT }
    return { facts, database: undefined, problem: undefined, dataOnly: !facts.definesTables }
  }
  // Custom and directory archives: the newest pg_restore reads every version's archives.
  const pgRestore = newestPgRestore(config)
  const env = { ...process.env, LC_MESSAGES: 'C' }
  const scanner = new DumpTextScanner(versionTable)
  const contents = await tableOfContents(pgRestore, path, env)
  if (contents.text === undefined)
    return { facts: scanner.facts(), database: undefined, problem: contents.problem }
  const database = /^;\s+dbname: (.+)$/m.exec(contents.text)?.[1]?.trim()
  const data = await runProgram(pgRestore.path, ['--data-only', '-f', '-', path], env, {
    stdout: scanner.writable(),
  })
  const facts = scanner.facts()
  if (data.code !== 0)
    return { facts, database, problem: `pg_restore cannot read its data: ${lastLines(data.stderr)}` }
  // "216; 1259 16390 TABLE public users owner": the archive defines tables.
  return { facts, database, problem: undefined, dataOnly: !/^\d+; \d+ \d+ TABLE /m.test(contents.text) }
}

function newestPgRestore(config: ResolvedConfig): ClientProgram {
  const found = listClientPrograms('pg_restore', { pgBinDir: config.pgBinDir }).sort(
    (a, b) => b.major - a.major,
  )
  if (found[0] !== undefined) return found[0]
  throw new ClientProgramError(
    'pg_restore is needed to read a custom or directory archive, and none was found',
    {
      hint: 'install the PostgreSQL client programs (as new as the server that was dumped), or set pgBinDir in the config',
    },
  )
}

/** `16.4` → 160004; `9.6.24` → 90624 (server_version_num). */
function versionNumber(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0)
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch
}
