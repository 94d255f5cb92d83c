import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { InvalidMigrationError } from '../errors/index.js'
import { appendAll } from '../util/append-all.js'
import { utf8Text } from '../util/utf8-text.js'
import { writeCacheFile } from '../util/write-cache-file.js'
import { alembicCannotRun, parseAlembicMigration } from './alembic-migration-file.js'
import type { MigrationMeta } from './migration.js'
import { pruneCompiled } from './migration-module.js'
import { RevisionGraph } from './revision-graph.js'
import { revisionIdProblem } from './revision-id.js'
import { parseSqlMigration, type SqlMigrationBody } from './sql-migration-file.js'
import { loadTsMigration, loadTsMigrationBody, type TsMigrationBody } from './ts-migration-file.js'

/** The runnable part of a migration. */
export type MigrationBody = ({ kind: 'sql' } & SqlMigrationBody) | ({ kind: 'ts' } & TsMigrationBody)

/** All migrations of a project: the graph, and the code of each, loaded on demand. */
export interface MigrationSet {
  readonly graph: RevisionGraph
  readonly directories: readonly string[]
  /** The code of one migration (imports a TypeScript file on first use). */
  body(revision: string): Promise<MigrationBody>
}

const MIGRATION_FILE = /\.(ts|mts|js|mjs|sql|py)$/
const CACHE_VERSION = 4

/** A carriage return: a file with Windows line endings. */
const CR = 0x0d

interface CacheFile {
  version: number
  entries: Record<string, { checksum: string; meta: MigrationMeta; mtimeMs: number; size: number }>
}

/**
 * The migration files of the configured version locations, in a stable order. With
 * `recursive` (Alembic's `recursive_version_locations`), also the files below them that
 * declare a revision; without it, such files are refused (see `refuseUnreadMigrations`).
 */
export function listMigrationFiles(
  directories: readonly string[],
  /** The config file's name, for the hint. */
  configName = 'the config',
  recursive = false,
): string[] {
  const files: string[] = []
  const listed = new Set(directories)
  for (const directory of directories) {
    if (!existsSync(directory)) {
      throw new InvalidMigrationError(`the migrations directory ${directory} does not exist`, {
        where: 'migrations.directories',
        hint: `run \`strata init\`, or set migrations.directories in ${configName}`,
      })
    }
    if (!statSync(directory).isDirectory()) {
      throw new InvalidMigrationError(`the migrations directory ${directory} is a file, not a directory`, {
        where: 'migrations.directories',
        hint: `set migrations.directories in ${configName} to the directory holding the migration files`,
      })
    }
    const subdirectories: string[] = []
    for (const entry of readdirSync(directory, { withFileTypes: true }).sort(byName)) {
      const name = entry.name
      // `_helpers.ts` and dotfiles are not migrations; `.d.ts` files hold only types.
      if (name.startsWith('_') || name.startsWith('.')) continue
      if (entry.isDirectory()) subdirectories.push(join(directory, name))
      else if (MIGRATION_FILE.test(name) && !name.endsWith('.d.ts')) files.push(join(directory, name))
    }
    for (const subdirectory of subdirectories) {
      if (listed.has(subdirectory)) continue
      const below = migrationsBelow(subdirectory, listed, recursive ? 16 : 3)
      if (recursive) appendAll(files, below)
      else refuseUnreadMigrations(below, subdirectory, directory, configName)
    }
  }
  return files
}

/** Files under `directory` (to `maxDepth` levels) that declare a revision, in a stable order. */
function migrationsBelow(directory: string, listed: ReadonlySet<string>, maxDepth: number): string[] {
  const found: string[] = []
  const walk = (current: string, depth: number) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort(byName)) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === '__pycache__')
        continue
      const path = join(current, entry.name)
      if (listed.has(path)) continue
      if (entry.isDirectory() && depth < maxDepth) walk(path, depth + 1)
      else if (entry.isFile() && MIGRATION_FILE.test(entry.name) && declaresRevision(path)) found.push(path)
    }
  }
  walk(directory, 0)
  return found
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** The first lines of a migration file declare its revision, in each format Strata reads. */
const DECLARES_REVISION = /^(?:--\s*revision:|export\s+const\s+revision\b|revision\s*(?::\s*str\s*)?=)/m

/**
 * Version locations are not searched below their own level (as Alembic's, unless
 * `recursive_version_locations`), so a migration moved into a subdirectory
 * (`versions/2026/`) would be left out without a word: `upgrade head` would skip it and
 * report the database at head. Refused instead, naming the files; a subdirectory of
 * helpers (no file declaring a revision) is fine.
 */
function refuseUnreadMigrations(
  found: readonly string[],
  subdirectory: string,
  location: string,
  configName: string,
): void {
  if (found.length === 0) return
  throw new InvalidMigrationError(
    `${subdirectory} holds ${found.length === 1 ? 'a migration' : `${found.length} migrations`} (${found.slice(0, 3).join(', ')}${found.length > 3 ? ', ...' : ''}) that Strata would not read: it reads the files of ${location} itself, not of its subdirectories`,
    {
      where: 'migrations.directories',
      hint: `add the subdirectory to migrations.directories in ${configName} (as Alembic's version_locations), set migrations.recursive: true (Alembic's recursive_version_locations), or move the files up into ${location}`,
    },
  )
}

function declaresRevision(file: string): boolean {
  const handle = openSync(file, 'r')
  try {
    const head = Buffer.alloc(4096)
    const length = readSync(handle, head, 0, head.length, 0)
    return DECLARES_REVISION.test(head.toString('utf8', 0, length))
  } finally {
    closeSync(handle)
  }
}

/**
 * Reads every migration, checks each file and the graph they form, and returns the
 * graph. Nothing touches a database: every problem is reported first (exit 2).
 *
 * Metadata of TypeScript files is cached by content hash in `.strata/cache`, so read
 * commands (`current`, `heads`, `history`) import no migration whose file is unchanged.
 */
export async function loadMigrations(config: ResolvedConfig): Promise<MigrationSet> {
  const directories = config.migrations.directories
  const files = listMigrationFiles(
    directories,
    config.file === undefined ? undefined : basename(config.file),
    config.migrations.recursive,
  )
  const cacheDir = join(config.rootDir, '.strata', 'cache')
  const cacheFile = join(cacheDir, 'migration-meta.json')
  const cache = readCache(cacheFile)
  const nextCache: CacheFile = { version: CACHE_VERSION, entries: {} }
  // Loaded (or loading) code by file: the runner asks for the next migration while the server runs one.
  const bodies = new Map<string, Promise<MigrationBody>>()
  const metas: MigrationMeta[] = []
  let cacheChanged = false

  for (const file of files) {
    const stats = statSync(file)
    const cached = cache.entries[file]
    // Unchanged since it was last read (same modification time and size, the test git
    // uses): its metadata and checksum come from the cache without reading the file.
    if (cached !== undefined && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) {
      nextCache.entries[file] = cached
      metas.push(cached.meta)
      continue
    }
    const bytes = readFileSync(file)
    const text = utf8Text(bytes, file, InvalidMigrationError)
    const withCrlf = bytes.includes(CR)
    const bytesChecksum = createHash('sha256').update(bytes).digest('hex')
    const checksum = withCrlf
      ? createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex')
      : bytesChecksum
    let meta: MigrationMeta
    if (file.endsWith('.py')) {
      meta = parseAlembicMigration(text, file, checksum)
    } else if (file.endsWith('.sql')) {
      const parsed = parseSqlMigration(text, file, checksum)
      meta = parsed.meta
      bodies.set(file, Promise.resolve({ kind: 'sql', ...parsed.body }))
    } else if (cached !== undefined && cached.checksum === checksum) {
      meta = cached.meta
    } else {
      const loaded = await loadTsMigration(file, text, checksum, cacheDir)
      meta = loaded.meta
      bodies.set(file, Promise.resolve({ kind: 'ts', ...loaded.body }))
    }
    if (withCrlf) meta = { ...meta, bytesChecksum }
    checkIdentifiers(meta, text)
    nextCache.entries[file] = { checksum, meta, mtimeMs: stats.mtimeMs, size: stats.size }
    cacheChanged = true
    metas.push(meta)
  }
  if (cacheChanged || Object.keys(cache.entries).length !== Object.keys(nextCache.entries).length) {
    writeCacheFile(cacheFile, JSON.stringify(nextCache))
    pruneCompiled(cacheDir, new Set(Object.values(nextCache.entries).map((entry) => entry.checksum)))
  }

  checkUniqueness(metas)
  RevisionGraph.validate(metas)
  const graph = new RevisionGraph(metas)
  return {
    graph,
    directories,
    body(revision) {
      const meta = graph.get(revision)
      let body = bodies.get(meta.file)
      if (body === undefined) {
        body = loadBody(meta, cacheDir)
        bodies.set(meta.file, body)
        // A failed load is not kept: the next call reports the error again.
        body.catch(() => bodies.delete(meta.file))
      }
      return body
    },
  }
}

async function loadBody(meta: MigrationMeta, cacheDir: string): Promise<MigrationBody> {
  if (meta.format === 'alembic') throw alembicCannotRun([meta], 'run')
  if (meta.format === 'sql') {
    const text = readFileSync(meta.file, 'utf8')
    return { kind: 'sql', ...parseSqlMigration(text, meta.file, meta.checksum).body }
  }
  return { kind: 'ts', ...(await loadTsMigrationBody(meta.file, meta.checksum, cacheDir)) }
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle))
  return index === -1 ? 1 : index + 1
}

function checkIdentifiers(meta: MigrationMeta, text: string): void {
  const problem = revisionIdProblem(meta.revision)
  if (problem !== undefined) {
    const where = `${meta.file}:${lineOf(text, meta.revision.slice(0, 20))}`
    throw new InvalidMigrationError(`${where}: ${problem}`, {
      where,
      hint: 'use `strata revision` to generate an id (12 hex characters), or choose a shorter one with --rev-id',
    })
  }
  for (const label of meta.branchLabels) {
    const labelProblem = revisionIdProblem(label, 'branch label')
    if (labelProblem !== undefined) {
      const where = `${meta.file}:${lineOf(text, label)}`
      throw new InvalidMigrationError(`${where}: ${labelProblem}`, { where })
    }
  }
}

function checkUniqueness(metas: readonly MigrationMeta[]): void {
  const byRevision = new Map<string, MigrationMeta>()
  const byLabel = new Map<string, MigrationMeta>()
  for (const meta of metas) {
    const twin = byRevision.get(meta.revision)
    if (twin !== undefined) {
      throw new InvalidMigrationError(
        `revision ${meta.revision} is defined twice: in ${twin.file} and in ${meta.file}`,
        {
          where: meta.file,
          hint: 'give one of them a new id (a copied file keeps its old id)',
        },
      )
    }
    byRevision.set(meta.revision, meta)
  }
  for (const meta of metas) {
    for (const label of meta.branchLabels) {
      const owner = byLabel.get(label)
      if (owner !== undefined) {
        throw new InvalidMigrationError(
          `branch label "${label}" is claimed by two revisions: ${owner.revision} (${owner.file}) and ${meta.revision} (${meta.file})`,
          {
            where: meta.file,
            hint: 'a branch label names one branch; keep it on the revision where the branch starts',
          },
        )
      }
      if (byRevision.has(label) && label !== meta.revision) {
        throw new InvalidMigrationError(`branch label "${label}" of ${meta.revision} is also a revision id`, {
          where: meta.file,
        })
      }
      byLabel.set(label, meta)
    }
  }
}

function readCache(file: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile
    if (parsed.version === CACHE_VERSION && typeof parsed.entries === 'object') return parsed
  } catch {
    // No cache yet, or an unreadable one: it is rebuilt.
  }
  return { version: CACHE_VERSION, entries: {} }
}
