import { Writable } from 'node:stream'
import type { CatalogEntry } from './catalog.js'
import { type ClientProgram, chooseClientProgram } from './client-programs.js'
import { CUT_SHORT, readPlainDump } from './dump-text.js'
import { lastLines, runProgram } from './run-program.js'

/** What reading a whole archive found: whether it is complete, and the roles that own its objects. */
export interface ArchiveReading {
  readonly ok: boolean
  readonly problem?: string
  readonly owners: readonly string[]
}

/** The pg_restore that can read archives written by the backup's pg_dump. */
export function pgRestoreFor(
  entry: CatalogEntry,
  pgBinDir: string | undefined,
  serverMajor?: number,
): ClientProgram {
  const dumpMajor = Number(/^(\d+)/.exec(entry.manifest.tools.pgDump)?.[1] ?? 0)
  return chooseClientProgram('pg_restore', {
    purpose: `archives written by pg_dump ${dumpMajor}${serverMajor ? ` and the PostgreSQL ${serverMajor} server` : ''}`,
    minimumMajor: Math.max(dumpMajor, 0),
    pgBinDir,
  })
}

/**
 * Reads the whole archive as a restore would: a plain dump is decompressed to the end
 * (gzip's CRC catches flipped bits; the trailer catches truncation), a custom or
 * directory archive is read by `pg_restore -f /dev/null`, which decompresses every
 * table's data. Nothing is written anywhere.
 */
export async function readArchive(
  entry: CatalogEntry,
  pgBinDir: string | undefined,
  /** False: custom and directory archives have only their table of contents read. */
  fullRead = true,
): Promise<ArchiveReading> {
  if (entry.manifest.format === 'plain')
    return readPlain(entry.archivePath, entry.manifest.options.compression !== 'none')
  const pgRestore = pgRestoreFor(entry, pgBinDir)
  const env = { ...process.env, LC_MESSAGES: 'C' }
  if (fullRead) {
    const run = await runProgram(pgRestore.path, ['-f', '/dev/null', entry.archivePath], env)
    if (run.code !== 0)
      return { ok: false, problem: `pg_restore cannot read it: ${lastLines(run.stderr)}`, owners: [] }
  }
  return readTableOfContents(pgRestore, entry.archivePath, env)
}

/** `pg_restore -l`: the archive's table of contents, and the roles that own its objects. */
async function readTableOfContents(
  pgRestore: ClientProgram,
  archive: string,
  env: NodeJS.ProcessEnv,
): Promise<ArchiveReading> {
  const contents = await tableOfContents(pgRestore, archive, env)
  if (contents.text === undefined) return { ok: false, problem: contents.problem, owners: [] }
  const owners = new Set<string>()
  // "216; 1259 16390 TABLE public users assistant": the owner is the last word.
  for (const line of contents.text.split('\n')) {
    if (line.startsWith(';') || !/^\d+;/.test(line)) continue
    const owner = line.trim().split(/\s+/).at(-1)
    if (owner && owner !== '-') owners.add(owner)
  }
  return { ok: true, owners: [...owners] }
}

/**
 * `pg_restore -l` as text: a header (`; dbname: ...`, the versions) and one line per
 * entry (`216; 1259 16390 TABLE public users owner`); or why pg_restore cannot read it.
 */
export async function tableOfContents(
  pgRestore: ClientProgram,
  archive: string,
  env: NodeJS.ProcessEnv,
): Promise<{ text: string; problem?: undefined } | { text?: undefined; problem: string }> {
  let text = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8')
      done()
    },
  })
  const run = await runProgram(pgRestore.path, ['-l', archive], env, { stdout: sink })
  return run.code === 0 ? { text } : { problem: `pg_restore cannot read it: ${lastLines(run.stderr)}` }
}

async function readPlain(path: string, compressed: boolean): Promise<ArchiveReading> {
  const { facts, damaged } = await readPlainDump(path, compressed)
  const problem = damaged ?? (facts.complete ? undefined : CUT_SHORT)
  return problem === undefined ? { ok: true, owners: facts.owners } : { ok: false, problem, owners: [] }
}
