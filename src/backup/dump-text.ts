import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'

/** The line pg_dump writes last; a plain dump without it was cut short. */
const PLAIN_TRAILER = '-- PostgreSQL database dump complete'

/** Why a plain dump without its trailer is refused. */
export const CUT_SHORT = 'the dump is cut short: it does not end with pg_dump\'s "dump complete" line'

/** What pg_dump's SQL text says about itself, read line by line. */
export interface DumpTextFacts {
  /** `-- Dumped from database version 16.4 (Debian 16.4-1)`: `16.4`. */
  readonly dumpedFrom: string | undefined
  /** `-- Dumped by pg_dump version 16.4`: `16.4`. */
  readonly dumpedBy: string | undefined
  /** Rows of each table's `COPY ... FROM stdin` block, as `schema.table` → rows. */
  readonly rowCounts: Readonly<Record<string, number>>
  /** The first column of the version table's rows (its revisions). */
  readonly versionRows: readonly string[]
  /** Whether the trailer came: a dump without it was cut short. */
  readonly complete: boolean
  /**
   * The first line that creates or switches databases (`CREATE DATABASE`, `\connect`:
   * `pg_dump --create`, `pg_dumpall`), if any: replayed by psql into a restore copy it
   * would write into the database it names instead.
   */
  readonly switchesDatabase: string | undefined
  /** Whether it creates tables (a `--data-only` dump does not: it needs them there). */
  readonly definesTables: boolean
  /** The roles its `ALTER ... OWNER TO` lines give objects to (a restore target needs them). */
  readonly owners: readonly string[]
}

/**
 * Reads the SQL text pg_dump writes (a plain dump, or `pg_restore -f -` of an archive)
 * as it streams by, without keeping it: the versions in its header, the rows of every
 * COPY block (one line per row: COPY's text format escapes newlines inside values), the
 * version table's rows, and the trailer.
 */
export class DumpTextScanner {
  #carry = ''
  #copying: string | undefined
  #dumpedFrom: string | undefined
  #dumpedBy: string | undefined
  #complete = false
  #switchesDatabase: string | undefined
  #definesTables = false
  readonly #owners = new Set<string>()
  readonly #rowCounts: Record<string, number> = {}
  readonly #versionRows: string[] = []

  /** @param versionTable the version table as `schema.table` (`public.alembic_version`) */
  constructor(private readonly versionTable: string) {}

  /** A stream that feeds the scanner what is written to it. */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk.toString('utf8'))
        done()
      },
    })
  }

  push(text: string): void {
    const lines = (this.#carry + text).split('\n')
    this.#carry = lines.pop() ?? ''
    for (const line of lines) this.#line(line)
  }

  facts(): DumpTextFacts {
    if (this.#carry !== '') this.#line(this.#carry)
    this.#carry = ''
    return {
      dumpedFrom: this.#dumpedFrom,
      dumpedBy: this.#dumpedBy,
      rowCounts: { ...this.#rowCounts },
      versionRows: [...this.#versionRows],
      complete: this.#complete,
      switchesDatabase: this.#switchesDatabase,
      definesTables: this.#definesTables,
      owners: [...this.#owners],
    }
  }

  #line(line: string): void {
    const table = this.#copying
    if (table !== undefined) {
      if (line === '\\.') this.#copying = undefined
      else {
        this.#rowCounts[table] = (this.#rowCounts[table] ?? 0) + 1
        if (table === this.versionTable) this.#versionRows.push(line.split('\t')[0]!)
      }
      return
    }
    if (/^(?:\\c(?:onnect)?\s|CREATE DATABASE\s)/.test(line)) this.#switchesDatabase ??= line
    if (line.startsWith('CREATE TABLE ')) this.#definesTables = true
    if (line.startsWith('ALTER ')) {
      const owner = /^ALTER .* OWNER TO (.+);$/.exec(line)?.[1]
      if (owner) this.#owners.add(owner.replace(/^"|"$/g, ''))
    }
    if (!line.startsWith('COPY ') && !line.startsWith('--')) return
    const copy =
      /^COPY ((?:"(?:[^"]|"")+"|[^\s.("]+)\.(?:"(?:[^"]|"")+"|[^\s("]+)) (?:\(.*\) )?FROM stdin;$/.exec(line)
    if (copy) {
      this.#copying = unquoteQualified(copy[1]!)
      this.#rowCounts[this.#copying] ??= 0
      return
    }
    this.#dumpedFrom ??= /^-- Dumped from database version (\S+)/.exec(line)?.[1]
    this.#dumpedBy ??= /^-- Dumped by pg_dump version (\S+)/.exec(line)?.[1]
    if (line === PLAIN_TRAILER) this.#complete = true
  }
}

/** `"Sales"."Order ""Items"""` → `Sales.Order "Items"`; `public.users` stays. */
function unquoteQualified(name: string): string {
  const parts = name.match(/"(?:[^"]|"")+"|[^.]+/g) ?? [name]
  return parts.map((part) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part)).join('.')
}

/**
 * Reads a plain dump (gzipped or not) to its end through a `DumpTextScanner`: gzip's
 * checksum catches flipped bits, the facts' `complete` a dump cut short.
 *
 * @param versionTable whose rows to collect, as `schema.table` (none by default)
 * @returns the facts, and why the gzip stream could not be read to its end, if it could not
 */
export async function readPlainDump(
  path: string,
  compressed: boolean,
  versionTable = '',
): Promise<{ facts: DumpTextFacts; damaged: string | undefined }> {
  const scanner = new DumpTextScanner(versionTable)
  const sink = scanner.writable()
  try {
    if (compressed) await pipeline(createReadStream(path), createGunzip(), sink)
    else await pipeline(createReadStream(path), sink)
  } catch (error) {
    return { facts: scanner.facts(), damaged: `the gzip stream is damaged (${(error as Error).message})` }
  }
  return { facts: scanner.facts(), damaged: undefined }
}
