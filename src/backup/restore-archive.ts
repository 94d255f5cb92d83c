import { spawn } from 'node:child_process'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, type Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { quoteTableName } from '../db/quote.js'
import { OperationFailedError } from '../errors/index.js'
import { jitteredBackoff } from '../util/backoff.js'
import { formatDuration } from '../util/duration.js'
import { trackChild } from '../util/running-children.js'
import type { CatalogEntry } from './catalog.js'
import { connectionArguments, withClientEnvironment } from './client-environment.js'
import { type ClientProgram, chooseClientProgram } from './client-programs.js'
import { pgRestoreFor, tableOfContents } from './read-archive.js'
import { lastLines, runProgram } from './run-program.js'

/** How an archive goes into a database. */
export type RestoreMode =
  /**
   * An empty database: everything, with `jobs` parallel workers (custom and directory).
   * `withoutForeignKeys` leaves out foreign keys: a backup of some tables holds keys
   * referencing tables it does not hold, which a scratch database cannot have.
   */
  | { readonly kind: 'fresh'; readonly jobs: number; readonly withoutForeignKeys?: boolean }
  /** Some tables of a live database, in one transaction: recreated, or (dataOnly) their rows replaced. */
  | { readonly kind: 'partial'; readonly tables: readonly string[]; readonly dataOnly: boolean }
  /** Over the live database's objects, in one transaction (`--clean --if-exists`). */
  | { readonly kind: 'in-place' }

export interface RestoreArchiveOptions {
  readonly entry: CatalogEntry
  /** The database restored into. */
  readonly spec: ConnectionSpec
  readonly serverMajor: number
  readonly mode: RestoreMode
  /** Leave out ownership (`ALTER ... OWNER TO`), for targets without the original roles. */
  readonly noOwner?: boolean
  /** Leave out privileges (GRANT/REVOKE). */
  readonly noAcl?: boolean
  readonly pgBinDir?: string | undefined
  /**
   * Partial and in-place restores (into the live database): the `lock` settings. Each
   * attempt waits at most `timeout` for its locks, so that queries queued behind the
   * restore's exclusive locks are not held up for longer; it is rolled back and retried.
   */
  readonly lock?: ResolvedConfig['lock']
  readonly onRetry?: (line: string) => void
}

/**
 * Session settings for the restoring session: larger maintenance memory for the index
 * builds and no wait for WAL flush on each commit. Both are safe here: a restore that
 * dies is simply redone, and the copy is checked before it replaces anything.
 */
const RESTORE_SESSION_OPTIONS = '-c maintenance_work_mem=256MB -c synchronous_commit=off'

/**
 * Restores an archive with the right program: pg_restore (`--exit-on-error`, parallel
 * or in one transaction) for custom and directory archives, psql (`ON_ERROR_STOP`, one
 * transaction) for plain dumps. Any error stops it and fails with the program's words:
 * never a restore that "succeeded" after errors.
 */
export async function restoreArchive(options: RestoreArchiveOptions): Promise<void> {
  const live = options.mode.kind !== 'fresh' && options.lock !== undefined && options.lock.timeout > 0
  if (!live) return restoreOnce(options, RESTORE_SESSION_OPTIONS)
  const lock = options.lock!
  const attempts = lock.retries + 1
  for (let attempt = 1; ; attempt++) {
    try {
      return await restoreOnce(
        options,
        `${RESTORE_SESSION_OPTIONS} -c lock_timeout=${Math.trunc(lock.timeout)}`,
      )
    } catch (error) {
      if (!/lock timeout/.test((error as Error).message)) throw error
      if (attempt >= attempts)
        throw new OperationFailedError(
          `the restore could not get its locks within lock_timeout ${formatDuration(lock.timeout)} in ${attempts} attempts: other sessions are using the tables. It was rolled back each time; nothing was changed`,
          {
            hint: '`strata diagnose blocking` shows who holds them; stop the application first (backup.hooks.stopServices), or raise lock.timeout or lock.retries',
          },
        )
      const wait = jitteredBackoff(attempt, lock.retryDelay, lock.maxRetryDelay)
      options.onRetry?.(
        `another session holds a lock the restore needs (attempt ${attempt} of ${attempts}, lock_timeout ${formatDuration(lock.timeout)}): rolled back, retrying in ${formatDuration(wait)}`,
      )
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}

async function restoreOnce(options: RestoreArchiveOptions, sessionOptions: string): Promise<void> {
  const { entry, mode } = options
  const spec = {
    ...options.spec,
    options: [options.spec.options, sessionOptions].filter(Boolean).join(' '),
  }
  const format = entry.manifest.format
  const ownership = [...(options.noOwner ? ['--no-owner'] : []), ...(options.noAcl ? ['--no-acl'] : [])]
  await withClientEnvironment(spec, async (env) => {
    if (format !== 'plain' && mode.kind !== 'partial') {
      const pgRestore = pgRestoreFor(entry, options.pgBinDir, options.serverMajor)
      const parallel = mode.kind === 'fresh' && mode.jobs > 1
      const list =
        mode.kind === 'fresh' && mode.withoutForeignKeys
          ? await listWithoutForeignKeys(pgRestore, entry.archivePath, env)
          : undefined
      try {
        const args = [
          ...connectionArguments(spec),
          '-w',
          '--exit-on-error',
          ...(parallel ? ['-j', String(mode.jobs)] : ['--single-transaction']),
          ...(mode.kind === 'in-place' ? ['--clean', '--if-exists'] : []),
          ...(list === undefined ? [] : ['-L', list.file]),
          ...ownership,
          entry.archivePath,
        ]
        const run = await runProgram(pgRestore.path, args, env)
        if (run.code !== 0) throw restoreFailed('pg_restore', run.code, run.stderr)
      } finally {
        list?.remove()
      }
      return
    }
    const psql = chooseClientProgram('psql', {
      purpose: `restoring into PostgreSQL ${options.serverMajor}`,
      minimumMajor: 0,
      pgBinDir: options.pgBinDir,
    })
    const input =
      format === 'plain'
        ? plainStream(entry, options)
        : partialStream(entry, mode, ownership, env, options.pgBinDir)
    const args = [
      ...connectionArguments(spec),
      '-w',
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '-f',
      '-',
    ]
    const run = await runProgram(psql.path, args, env, { stdin: input })
    if (run.code !== 0) throw restoreFailed('psql', run.code, run.stderr)
  })
}

function restoreFailed(program: string, code: number, stderr: string): OperationFailedError {
  return new OperationFailedError(
    `${program} stopped at the first error (exit ${code}): ${lastLines(stderr)}`,
  )
}

/** A plain dump, decompressed, without ownership or privilege lines when asked. */
function plainStream(entry: CatalogEntry, options: RestoreArchiveOptions): Readable {
  if (options.mode.kind === 'partial')
    throw new OperationFailedError('tables cannot be picked out of a plain SQL backup', {
      hint: 'partial restores need a custom or directory backup (strata backup --format custom)',
    })
  const file = createReadStream(entry.archivePath)
  const unzipped = entry.manifest.options.compression === 'none' ? file : file.pipe(createGunzip())
  const sql =
    options.mode.kind === 'fresh' && options.mode.withoutForeignKeys
      ? unzipped.pipe(dropForeignKeys())
      : unzipped
  if (!options.noOwner && !options.noAcl) return sql
  return sql.pipe(
    dropLines(
      options.noOwner ? /^ALTER .* OWNER TO .*;$/ : undefined,
      options.noAcl ? /^(GRANT|REVOKE) .*;$/ : undefined,
    ),
  )
}

/** Removes whole lines matching either pattern (pg_dump writes these statements on one line each). */
function dropLines(...patterns: (RegExp | undefined)[]): Transform {
  const active = patterns.filter((pattern): pattern is RegExp => pattern !== undefined)
  return byLine((line) => (active.some((pattern) => pattern.test(line)) ? [] : [line]))
}

/**
 * A stream edited line by line: `take` gets each whole line (without its newline) and
 * returns the lines to pass on; `end` returns those it still holds when the input ends.
 * A last line without a newline passes as it is.
 */
function byLine(
  take: (line: string) => readonly string[],
  end: () => readonly string[] = () => [],
): Transform {
  let carry = ''
  const joined = (lines: readonly string[]) => lines.map((line) => `${line}\n`).join('')
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lines = (carry + chunk.toString('utf8')).split('\n')
      carry = lines.pop() ?? ''
      done(null, joined(lines.flatMap(take)))
    },
    flush(done) {
      done(null, joined(end()) + carry)
    },
  })
}

/**
 * The archive's table of contents without its foreign keys (`FK CONSTRAINT` entries), in
 * a private temporary file for `pg_restore -L`.
 */
async function listWithoutForeignKeys(
  pgRestore: ClientProgram,
  archive: string,
  env: NodeJS.ProcessEnv,
): Promise<{ file: string; remove: () => void }> {
  const toc = await tableOfContents(pgRestore, archive, env)
  if (toc.text === undefined) throw new OperationFailedError(toc.problem)
  const dir = mkdtempSync(join(tmpdir(), 'strata-toc-'))
  const file = join(dir, 'toc.list')
  const kept = toc.text.split('\n').filter((line) => !/^\d+; \d+ \d+ FK CONSTRAINT /.test(line))
  writeFileSync(file, kept.join('\n'), { mode: 0o600 })
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * A plain dump without its foreign keys. pg_dump writes each as two lines:
 * `ALTER TABLE ONLY public.orders` then `    ADD CONSTRAINT ... FOREIGN KEY (...) REFERENCES ...;`.
 */
function dropForeignKeys(): Transform {
  // `ALTER TABLE ONLY t` waits for its next line: dropped with it when that adds a foreign key.
  let held: string | undefined
  return byLine(
    (line) => {
      const before = held
      held = undefined
      if (before !== undefined && /^\s+ADD CONSTRAINT .* FOREIGN KEY .*;$/.test(line)) return []
      const kept = before === undefined ? [] : [before]
      if (/^ALTER TABLE (ONLY )?\S+$/.test(line)) held = line
      else kept.push(line)
      return kept
    },
    () => (held === undefined ? [] : [held]),
  )
}

/**
 * The SQL of some tables from a custom or directory archive (`pg_restore -f -`), led by
 * a TRUNCATE when only their rows are restored, so psql applies all of it in one
 * transaction: the tables end up exactly as in the backup, or unchanged.
 */
function partialStream(
  entry: CatalogEntry,
  mode: RestoreMode,
  ownership: readonly string[],
  env: NodeJS.ProcessEnv,
  pgBinDir: string | undefined,
): Readable {
  if (mode.kind !== 'partial') throw new Error('partialStream is for partial restores')
  const pgRestore = pgRestoreFor(entry, pgBinDir)
  const out = new PassThrough()
  if (mode.dataOnly)
    out.write(`TRUNCATE ONLY ${mode.tables.map((table) => quoteTableName(table)).join(', ')};\n`)
  const args = [
    '-f',
    '-',
    ...(mode.dataOnly ? ['--data-only'] : ['--clean', '--if-exists']),
    ...ownership,
    ...mode.tables.flatMap((table) => {
      const [schema, name] = table.includes('.') ? table.split('.', 2) : [undefined, table]
      return [...(schema ? ['-n', schema] : []), '-t', name!]
    }),
    entry.archivePath,
  ]
  const child = spawn(pgRestore.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdout.pipe(out, { end: false })
  // When psql stops reading (at its first error), nothing drains pg_restore's output
  // any more: it would wait on a full pipe for ever, and the command with it.
  out.once('close', () => {
    if (child.exitCode === null) child.kill()
  })
  child.once('close', (code) => {
    if (code === 0) out.end()
    // A broken extraction must not reach psql as if it were complete: fail the stream.
    else
      out.destroy(new OperationFailedError(`pg_restore could not extract the tables: ${lastLines(stderr)}`))
  })
  return out
}
