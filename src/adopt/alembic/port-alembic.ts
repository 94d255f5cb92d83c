import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { InvalidInputError, UsageError } from '../../errors/index.js'
import { parseAlembicMigration } from '../../graph/alembic-migration-file.js'
import type { MigrationMeta } from '../../graph/migration.js'
import { readTextFile } from '../../util/utf8-text.js'
import { renderAlembicCallSteps } from './alembic-ops.js'
import { findNamingConvention, type NamingConvention } from './naming-convention.js'
import { type FunctionBody, readFunctionBody } from './python-calls.js'
import { NotPortable } from './python-values.js'
import { scaffoldTsMigration } from './scaffold-alembic.js'

export interface PortedMigration {
  readonly revision: string
  /** The Alembic file, kept as `<name>.py.ported` so that the revision id is defined once. */
  readonly source: string
  readonly file: string
  readonly hasDowngrade: boolean
  readonly transactional: boolean
}

export interface NotPortedMigration {
  readonly revision: string | undefined
  readonly source: string
  readonly line: number | undefined
  readonly reason: string
  /** With `scaffold`: the TypeScript migration written to finish by hand (the `.py` kept as `.py.ported`). */
  readonly scaffold?: string
}

export interface AlembicPort {
  readonly ported: readonly PortedMigration[]
  readonly notPorted: readonly NotPortedMigration[]
  /** Where the project's naming_convention was found, when it sets one, and whether Strata could read it. */
  readonly namingConvention?: { readonly source: string; readonly readable: boolean } | undefined
}

/** Whether a directory holds Alembic migrations (`revision = ...` and `def upgrade`). */
export function looksLikeAlembic(directory: string): boolean {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) return false
  return readdirSync(directory).some((name) => {
    if (!name.endsWith('.py')) return false
    const text = readTextFile(join(directory, name))
    return /^revision\s*(:[^=]*)?=/m.test(text) && /^def upgrade\s*\(/m.test(text)
  })
}

/**
 * `strata convert` of an Alembic versions directory: each migration whose `upgrade()`
 * and `downgrade()` are `op.*` calls Strata can render becomes an SQL migration with the
 * same revision id, down_revision, branch labels and docstring, written beside it (the
 * `.py` is renamed `.py.ported`), as the SQL Alembic's offline mode would have run.
 * The version table needs no stamp: its ids are the same. A migration that is code
 * (`op.get_bind()`, a loop, an f-string) stays as it is, with the line that stopped it:
 * Strata keeps reading it, and refuses to run it, as before.
 */
export function portAlembicMigrations(options: {
  readonly directory: string
  readonly migrationDirectories: readonly string[]
  /** The project's directory, searched for a `naming_convention` (default: the working directory). */
  readonly projectDir?: string | undefined
  readonly dryRun?: boolean | undefined
  /** Write a TypeScript migration to finish by hand for each one that is code. */
  readonly scaffold?: boolean | undefined
}): AlembicPort {
  const directory = resolve(options.directory)
  if (!existsSync(directory) || !statSync(directory).isDirectory())
    throw new InvalidInputError(`${options.directory} is not a directory`, {
      hint: "name Alembic's versions directory, e.g. strata convert migrations/versions",
    })
  if (!options.migrationDirectories.some((dir) => resolve(dir) === directory))
    throw new UsageError(
      `${options.directory} is not among migrations.directories: the ported migrations are written beside the Alembic ones, where Strata must read both`,
      {
        hint: `add it to migrations.directories in strata.config.ts (strata init does, in an Alembic project)`,
      },
    )
  const ported: PortedMigration[] = []
  const notPorted: NotPortedMigration[] = []
  const convention = findNamingConvention(directory, options.projectDir ?? process.cwd())
  for (const name of readdirSync(directory).sort()) {
    if (!name.endsWith('.py') || name === '__init__.py') continue
    const source = join(directory, name)
    const text = readTextFile(source)
    let meta: MigrationMeta
    try {
      meta = parseAlembicMigration(text, source, '')
    } catch (error) {
      notPorted.push({ revision: undefined, source, line: undefined, reason: (error as Error).message })
      continue
    }
    const result = port(text, meta, convention)
    if ('reason' in result) {
      const scaffold = join(directory, `${basename(name, '.py')}.ts`)
      const scaffolds = options.scaffold === true && !existsSync(scaffold)
      if (scaffolds && !options.dryRun) {
        writeFileSync(scaffold, scaffoldTsMigration(meta, text, name), { flag: 'wx', mode: 0o644 })
        renameSync(source, `${source}.ported`)
      }
      notPorted.push({
        revision: meta.revision,
        source,
        line: result.line,
        reason: result.reason,
        ...(scaffolds ? { scaffold } : {}),
      })
      continue
    }
    const file = join(directory, `${basename(name, '.py')}.sql`)
    if (existsSync(file)) {
      notPorted.push({
        revision: meta.revision,
        source,
        line: undefined,
        reason: `${basename(file)} exists already`,
      })
      continue
    }
    if (!options.dryRun) {
      writeFileSync(file, render(meta, name, result), { flag: 'wx', mode: 0o644 })
      renameSync(source, `${source}.ported`)
    }
    ported.push({
      revision: meta.revision,
      source,
      file,
      hasDowngrade: result.down !== undefined,
      transactional: result.transactional,
    })
  }
  if (ported.length + notPorted.length === 0)
    throw new InvalidInputError(
      `${options.directory} holds no Alembic migration (.py files with revision = '...')`,
      {
        hint: "name Alembic's versions directory (script_location/versions in alembic.ini)",
      },
    )
  return {
    ported,
    notPorted,
    ...(convention === undefined
      ? {}
      : { namingConvention: { source: convention.source, readable: convention.templates !== undefined } }),
  }
}

/** An op call's SQL statement, and the line of the call. */
export interface PortedStep {
  readonly sql: string
  readonly line: number
}

interface PortedSql {
  readonly up: readonly PortedStep[]
  readonly down: readonly PortedStep[] | undefined
  readonly transactional: boolean
}

/**
 * An Alembic migration's SQL as `strata convert` would port it (what `strata check`
 * analyses), or the line and reason it cannot be ported.
 */
export function portedSql(
  file: string,
  text: string,
  meta: MigrationMeta,
  projectDir: string,
): PortedSql | { line: number | undefined; reason: string } {
  return port(text, meta, findNamingConvention(dirname(file), projectDir))
}

function port(
  text: string,
  meta: MigrationMeta,
  convention: NamingConvention | undefined,
): PortedSql | { line: number | undefined; reason: string } {
  const upgrade = readFunctionBody(text, 'upgrade')
  if (upgrade === undefined) return { line: undefined, reason: 'no def upgrade()' }
  const downgrade = readFunctionBody(text, 'downgrade')
  try {
    const up = statements(upgrade, convention)
    const down = downgrade === undefined ? undefined : statements(downgrade, convention)
    const autocommit = [upgrade, downgrade].some(
      (body) => body !== undefined && 'autocommit' in body && body.autocommit,
    )
    // A downgrade of `pass` only is Alembic's way to say there is none, unless the upgrade
    // does nothing either (a merge): then going back through it is nothing too.
    const hasDown = down !== undefined && (meta.hasDowngrade || up.length === 0)
    const transactional =
      !autocommit && ![...up, ...(down ?? [])].some((step) => /\bCONCURRENTLY\b/.test(step.sql))
    return { up, down: hasDown ? down : undefined, transactional }
  } catch (error) {
    if (error instanceof CodeNotCalls) return { line: error.line, reason: error.message }
    if (error instanceof NotPortable) return { line: error.line, reason: error.reason }
    throw error
  }
}

class CodeNotCalls extends Error {
  constructor(
    readonly line: number,
    text: string,
  ) {
    super(
      /get_bind|connection|execute\(/.test(text) && !/^op\.execute\(/.test(text)
        ? `\`${text}\` is Python code (a data migration): port it by hand as a TypeScript migration with the same revision id (op.backfill for batched updates, op.query to read)`
        : `\`${text}\` is Python code, not an op call: port it by hand with the same revision id`,
    )
  }
}

function statements(body: FunctionBody, convention: NamingConvention | undefined): PortedStep[] {
  if ('unsupported' in body) throw new CodeNotCalls(body.unsupported.line, body.unsupported.text)
  return renderAlembicCallSteps(body.calls, convention)
}

function render(meta: MigrationMeta, name: string, sql: PortedSql): string {
  const header = [
    `-- revision: ${meta.revision}`,
    `-- down_revision: ${meta.downRevisions.join(', ') || 'none'}`,
    `-- message: ${meta.message.replace(/\s+/g, ' ')}`,
    ...(meta.branchLabels.length > 0 ? [`-- branch_labels: ${meta.branchLabels.join(', ')}`] : []),
    ...(meta.dependsOn.length > 0 ? [`-- depends_on: ${meta.dependsOn.join(', ')}`] : []),
    ...(sql.transactional ? [] : ['-- transactional: false']),
    ...(meta.createDate ? [`-- create_date: ${meta.createDate}`] : []),
  ]
  const body = [
    '',
    '-- migrate:up',
    `-- Ported from Alembic: ${name} (kept as ${name}.ported)`,
    ...sql.up.flatMap((step) => [step.sql, '']),
  ]
  if (sql.down !== undefined) body.push('-- migrate:down', ...sql.down.flatMap((step) => [step.sql, '']))
  return `${[...header, ...body].join('\n').trimEnd()}\n`
}
