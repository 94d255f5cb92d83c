import { realpathSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { readVersionRows, tableExists } from '../db/version-table.js'
import { UsageError } from '../errors/index.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { startingRows } from '../runner/offline-script.js'
import { planUpgrade } from '../runner/plan.js'
import { runnerTables } from '../runner/tables.js'
import { wildcardPattern } from '../util/wildcard.js'
import type { MigrationSource } from './analysed-statement.js'
import type { CheckOptions } from './check.js'
import { migrationSource } from './migration-file-source.js'
import { readOrRecord, type UnreadableMigration } from './unreadable-migration.js'

/** The project's migrations that `strata check` analyses, rendered, and those excluded by config. */
export interface ProjectSources {
  readonly migrations: MigrationSet
  readonly sources: MigrationSource[]
  /** "pending migrations", "all migrations", "range a:b", "3 migrations to deploy". */
  readonly selection: string
  /** Revisions left out by `check.exclude`. */
  readonly excluded: string[]
  /**
   * Offline, for `-r A:B`: the migrations up to A, which built the schema the range
   * changes. They are replayed into the schema model, not reported: without them a
   * range's analysis would not know a constraint validated before it.
   */
  readonly history: MigrationSource[]
  /** Migrations that could not be rendered or parsed (reported; the rest are analysed). */
  readonly unreadable: UnreadableMigration[]
  /**
   * Connected, for `-r A:B`: the selected revisions the database already has. Its tables
   * then show the schema after them, not before: the range is analysed from the files.
   */
  readonly applied: string[]
}

/** The migrations to check: `-r A:B`, the given revisions, the pending ones, or all of them. */
export async function projectSources(options: CheckOptions): Promise<ProjectSources> {
  const { config } = options
  const migrations = options.migrations ?? (await loadMigrations(config))
  const { metas, description, before, applied } = await selectMigrations(migrations, options)
  const unreadable: UnreadableMigration[] = []
  const render = (meta: MigrationMeta) =>
    readOrRecord(
      meta.revision,
      meta.file,
      () => migrationSource(migrations, meta, config, options.args),
      unreadable,
    )
  const sources: MigrationSource[] = []
  const excluded: string[] = []
  for (const meta of metas) {
    if (isExcluded(meta, config.check.exclude)) excluded.push(meta.revision)
    else {
      const source = await render(meta)
      if (source !== undefined) sources.push(source)
    }
  }
  const history: MigrationSource[] = []
  for (const meta of before) {
    const source = await render(meta)
    if (source !== undefined) history.push(source)
  }
  return { migrations, sources, selection: description, excluded, history, unreadable, applied }
}

async function selectMigrations(
  migrations: MigrationSet,
  options: CheckOptions,
): Promise<{ metas: MigrationMeta[]; description: string; before: MigrationMeta[]; applied: string[] }> {
  const { graph } = migrations
  const steps = (rows: readonly string[], target: string) =>
    planUpgrade(graph, rows, target).steps.map((step) => step.meta)
  if (options.revisions !== undefined) {
    return {
      metas: options.revisions.map((revision) => graph.get(revision)),
      description: `${options.revisions.length} migration${options.revisions.length === 1 ? '' : 's'} to deploy`,
      before: [],
      applied: [],
    }
  }
  if (options.changedSince !== undefined) {
    const all = steps([], 'heads')
    const changed = all.filter((meta) => options.changedSince!.files.has(realPath(meta.file)))
    const applied = options.client === undefined ? [] : await appliedIn(options, graph, changed)
    const first = changed.length === 0 ? all.length : all.indexOf(changed[0]!)
    return {
      metas: changed,
      description: `migrations changed since ${options.changedSince.ref}`,
      // The migrations before the first changed one built the schema it changes.
      before: options.client === undefined || applied.length > 0 ? all.slice(0, first) : [],
      applied,
    }
  }
  if (options.range !== undefined) {
    const [from, to] = options.range.includes(':') ? options.range.split(':', 2) : ['base', options.range]
    const start = from === '' || from === 'base' ? [] : startingRows(migrations, from!)
    const metas = steps(start, to === '' ? 'heads' : to!)
    // `-r bbb222:aaa111` read backwards: said, rather than "holds no migration".
    const named = (end: string | undefined) => end !== undefined && end !== '' && end !== 'base'
    if (
      metas.length === 0 &&
      named(from) &&
      named(to) &&
      steps(startingRows(migrations, to!), from!).length > 0
    )
      throw new UsageError(
        `-r ${options.range} holds no migration: ${to} comes before ${from}, and a range goes up, FROM:TO`,
        { hint: `strata check -r ${to}:${from}` },
      )
    const applied = options.client === undefined ? [] : await appliedIn(options, graph, metas)
    return {
      metas,
      description: `range ${options.range}`,
      // Connected, the database itself says what the earlier migrations made, unless
      // it is already past some of the range.
      before: options.client === undefined || applied.length > 0 ? upTo(start, steps) : [],
      applied,
    }
  }
  if (options.client !== undefined) {
    const table = runnerTables(options.config).version
    const rows = (await tableExists(options.client, table))
      ? await readVersionRows(options.client, table)
      : []
    return { metas: steps(rows, 'heads'), description: 'pending migrations', before: [], applied: [] }
  }
  return { metas: steps([], 'heads'), description: 'all migrations', before: [], applied: [] }
}

/** Which of `metas` the connected database has applied (its version rows and their ancestors). */
async function appliedIn(
  options: CheckOptions,
  graph: MigrationSet['graph'],
  metas: readonly MigrationMeta[],
): Promise<string[]> {
  const table = runnerTables(options.config).version
  const rows = (await tableExists(options.client!, table))
    ? await readVersionRows(options.client!, table)
    : []
  const known = rows.filter((row) => graph.has(row))
  const done = graph.ancestors(known, { includeSelf: true })
  return metas.filter((meta) => done.has(meta.revision)).map((meta) => meta.revision)
}

/**
 * A file's path with symbolic links resolved, as git names it: a project under a linked
 * directory (macOS's /tmp is /private/tmp) would otherwise match none of git's paths.
 */
function realPath(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return resolve(file)
  }
}

function isExcluded(meta: MigrationMeta, patterns: readonly string[]): boolean {
  const file = basename(meta.file)
  return patterns.some((pattern) => {
    if (pattern === meta.revision) return true
    const regex = wildcardPattern(pattern)
    return regex.test(file) || regex.test(meta.revision)
  })
}

/** The migrations from base up to and including `rows` (each a revision), in upgrade order, once each. */
function upTo(
  rows: readonly string[],
  steps: (rows: readonly string[], target: string) => MigrationMeta[],
): MigrationMeta[] {
  const seen = new Set<string>()
  return rows.flatMap((row) =>
    steps([], row).filter((meta) => !seen.has(meta.revision) && seen.add(meta.revision)),
  )
}
