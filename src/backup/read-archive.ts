import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import type { CatalogEntry } from './catalog.js'
import { type ClientProgram, chooseClientProgram } from './client-programs.js'
import { PLAIN_TRAILER } from './dump-text.js'
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
  let text = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8')
      done()
    },
  })
  const run = await runProgram(pgRestore.path, ['-l', archive], env, { stdout: sink })
  if (run.code !== 0)
    return { ok: false, problem: `pg_restore cannot read it: ${lastLines(run.stderr)}`, owners: [] }
  const owners = new Set<string>()
  // "216; 1259 16390 TABLE public users assistant": the owner is the last word.
  for (const line of text.split('\n')) {
    if (line.startsWith(';') || !/^\d+;/.test(line)) continue
    const owner = line.trim().split(/\s+/).at(-1)
    if (owner && owner !== '-') owners.add(owner)
  }
  return { ok: true, owners: [...owners] }
}

async function readPlain(path: string, compressed: boolean): Promise<ArchiveReading> {
  let tail = ''
  const owners = new Set<string>()
  let carry = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = carry + chunk.toString('utf8')
      const lines = text.split('\n')
      carry = lines.pop() ?? ''
      for (const line of lines) {
        const owner = /^ALTER .* OWNER TO (.+);$/.exec(line)?.[1]
        if (owner) owners.add(owner.replace(/^"|"$/g, ''))
      }
      tail = (tail + text).slice(-200)
      done()
    },
  })
  try {
    if (compressed) await pipeline(createReadStream(path), createGunzip(), sink)
    else await pipeline(createReadStream(path), sink)
  } catch (error) {
    return { ok: false, problem: `the gzip stream is damaged: ${(error as Error).message}`, owners: [] }
  }
  if (!tail.includes(PLAIN_TRAILER))
    return {
      ok: false,
      problem: 'the dump is cut short: it does not end with pg_dump\'s "dump complete" line',
      owners: [],
    }
  return { ok: true, owners: [...owners] }
}
