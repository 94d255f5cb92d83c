import { existsSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { InvalidInputError, UsageError } from '../../errors/index.js'
import { revisionSlug } from '../../graph/create-revision.js'
import { listMigrationFiles } from '../../graph/load-migrations.js'
import { revisionIdProblem } from '../../graph/revision-id.js'
import { renderSqlMigration } from '../../graph/revision-templates.js'
import { splitStatements } from '../../graph/split-statements.js'
import { ensureDirectory } from '../../util/ensure-directory.js'
import { plural } from '../../util/plural.js'
import { notRenderableHint } from './code-migrations.js'
import { readForeignMigrations } from './detect-tool.js'
import { compareVersions, type ForeignMigration, type ForeignTool } from './foreign-migration.js'

export interface ConvertOptions {
  /** The other tool's migrations directory. */
  readonly from: string
  /** The tool, when not recognised from the directory's layout. */
  readonly tool?: string | undefined
  /** Strata's migrations directory, where the files are written. */
  readonly directory: string
  /** List what would be written, write nothing. */
  readonly dryRun?: boolean | undefined
  /**
   * The heads of the migrations already in `directory` (their graph), read only when
   * some of the tool's migrations were converted before: new ones go after them.
   */
  readonly existingHeads?: (() => Promise<readonly string[]>) | undefined
}

export interface ConvertedMigration {
  readonly revision: string
  readonly downRevision: string | undefined
  readonly file: string
  /** The other tool's file, relative to its directory. */
  readonly source: string
  readonly appliedKey: string
  readonly version: string
  readonly hasDowngrade: boolean
  readonly transactional: boolean
  /** Why it runs outside a transaction, when it does. */
  readonly outsideTransaction: string | undefined
  /**
   * The tool's own BEGIN and COMMIT lines were left out: Strata runs the migration in one
   * transaction, which a COMMIT half-way would end early (Prisma writes them around an
   * enum change).
   */
  readonly droppedTransactionControl: boolean
}

export interface Conversion {
  readonly tool: ForeignTool
  readonly migrations: readonly ConvertedMigration[]
  /** The tool's files that were left as they are, with why (Flyway's repeatable scripts). */
  readonly leftOut: readonly { readonly file: string; readonly reason: string }[]
  /** Every revision was in the migrations directory already: nothing was written. */
  readonly convertedBefore: boolean
  /**
   * Some were converted before (the project went on writing migrations with the tool):
   * how many (the first `before` of `migrations`), and the revision the new ones were
   * chained after.
   */
  readonly appended?: { readonly before: number; readonly after: string } | undefined
}

/**
 * `strata convert`: another tool's SQL migrations become a chain of Strata SQL
 * migrations, one per migration, in the tool's order, with revision ids made from its
 * versions (`v20240101120000`), so that its bookkeeping table says which revision a
 * database is at. Everything is read and checked before the first file is written;
 * nothing is overwritten. It writes only into a migrations directory without
 * migrations, never into the other tool's own; run again once converted, it writes
 * nothing and says so.
 */
export async function convertMigrations(options: ConvertOptions): Promise<Conversion> {
  const from = resolve(options.from)
  if (!existsSync(from) || !statSync(from).isDirectory())
    throw new InvalidInputError(`${options.from} is not a directory`, {
      hint: "name the other tool's migrations directory, e.g. strata convert prisma/migrations",
    })
  const directory = resolve(options.directory)
  if (directory === from)
    throw new UsageError(`${options.from} is Strata's migrations directory too (migrations.directories)`, {
      hint: "point migrations.directories in strata.config.ts at a new directory, e.g. ['migrations/versions'], and convert into it",
    })

  const set = await readForeignMigrations(from, options.tool)
  const { unconvertible } = set
  if (unconvertible.length > 0)
    throw new InvalidInputError(
      `${plural(unconvertible.length, `${set.tool} migration`)} in ${options.from} cannot be converted: ${unconvertible
        .slice(0, 5)
        .map((item) => `${item.file} (${item.reason})`)
        .join('; ')}${unconvertible.length > 5 ? '; ...' : ''}`,
      {
        hint:
          unconvertible.find((item) => item.hint !== undefined)?.hint ??
          // Only the code migrations' readers find migrations they cannot convert.
          notRenderableHint(set.tool),
      },
    )
  if (set.migrations.length === 0)
    throw new InvalidInputError(`${options.from} holds no ${set.tool} migrations`, {
      hint: 'name the directory the migration files are in',
    })

  const ordered = [...set.migrations].sort((a, b) =>
    set.order === 'name' ? compareText(a.appliedKey, b.appliedKey) : compareVersions(a.version, b.version),
  )
  const revisions = ordered.map((migration) => revisionFor(migration, set.tool))
  for (let index = 1; index < ordered.length; index++) {
    if (revisions[index] === revisions[index - 1])
      throw new InvalidInputError(
        `${ordered[index - 1]!.source} and ${ordered[index]!.source} have the same version ${ordered[index]!.version}`,
        { hint: 'give one of them a version of its own in the other tool first' },
      )
  }

  // What each file holds: a transactional migration without the tool's own BEGIN/COMMIT.
  const bodies: { up: string; down: string | undefined }[] = []
  const migrations = ordered.map((migration, index): ConvertedMigration => {
    const revision = revisions[index]!
    const outsideTransaction = nonTransactionalStatement(migration)
    const transactional = migration.transactional && outsideTransaction === undefined
    const body = transactional
      ? {
          up: withoutTransactionControl(migration.up),
          down: migration.down === undefined ? undefined : withoutTransactionControl(migration.down),
        }
      : { up: migration.up, down: migration.down }
    bodies.push(body)
    return {
      revision,
      downRevision: revisions[index - 1],
      file: join(directory, `${revision}_${revisionSlug(migration.title, 'migration')}.sql`),
      source: migration.source,
      appliedKey: migration.appliedKey,
      version: migration.version,
      hasDowngrade: migration.down !== undefined,
      transactional,
      outsideTransaction: transactional
        ? undefined
        : (outsideTransaction ?? `${set.tool} ran it outside a transaction`),
      droppedTransactionControl: body.up !== migration.up || body.down !== migration.down,
    }
  })
  const existing = existsSync(directory) ? listMigrationFiles([directory]).map((file) => basename(file)) : []
  // Converted before (for another database of the project, say): every revision is there
  // already, perhaps with migrations written after it. Nothing is written; the caller
  // still reads where this database is.
  const convertedBefore = migrations.map((migration) =>
    existing.find((name) => name.startsWith(`${migration.revision}_`) && name.endsWith('.sql')),
  )
  if (existing.length > 0 && convertedBefore.every((name) => name !== undefined))
    return {
      tool: set.tool,
      migrations: migrations.map((migration, index) => ({
        ...migration,
        file: join(directory, convertedBefore[index]!),
      })),
      leftOut: set.leftOut,
      convertedBefore: true,
    }
  const before = convertedBefore.indexOf(undefined)
  // A new one ordered before one converted already (a branch merged late) would run out of order.
  const late = convertedBefore.findIndex((name, index) => index > before && name !== undefined)
  if (late !== -1)
    throw new InvalidInputError(
      `${ordered[before]!.source} is new, but ${set.tool} orders it before ${ordered[late]!.source}, converted already as ${migrations[late]!.revision}`,
      {
        hint: `give it a version after ${ordered.at(-1)!.version} in ${set.tool} (rename it), so that it comes last, then convert again`,
      },
    )
  if (existing.length > 0 && before === 0)
    throw new UsageError(
      `${relative(process.cwd(), directory) || directory} already holds ${plural(existing.length, 'migration file')}: a conversion starts the history`,
      {
        hint: 'convert into an empty migrations directory (migrations.directories), before writing Strata migrations',
      },
    )
  if (before > 0) {
    // Converted before, and the tool has written more since: those go after the head.
    const heads = (await options.existingHeads?.()) ?? []
    if (heads.length !== 1)
      throw new UsageError(
        `the migrations in ${relative(process.cwd(), directory) || directory} have ${heads.length === 0 ? 'no head' : `${heads.length} heads (${heads.join(', ')})`}: the new ${set.tool} migrations need one to follow`,
        { hint: 'join the heads first: strata merge -m "merge" heads' },
      )
    const added = migrations.slice(before).map((migration, index) => ({
      ...migration,
      downRevision: index === 0 ? heads[0] : migration.downRevision,
    }))
    if (!options.dryRun)
      added.forEach((converted, index) => {
        writeConverted(converted, ordered[before + index]!, bodies[before + index]!, set.tool)
      })
    const earlier = migrations
      .slice(0, before)
      .map((migration, index) => ({ ...migration, file: join(directory, convertedBefore[index]!) }))
    return {
      tool: set.tool,
      migrations: [...earlier, ...added],
      leftOut: set.leftOut,
      convertedBefore: false,
      appended: { before, after: heads[0]! },
    }
  }
  if (!options.dryRun) {
    ensureDirectory(directory)
    ordered.forEach((migration, index) => {
      writeConverted(migrations[index]!, migration, bodies[index]!, set.tool)
    })
  }
  return { tool: set.tool, migrations, leftOut: set.leftOut, convertedBefore: false }
}

function writeConverted(
  converted: ConvertedMigration,
  migration: ForeignMigration,
  body: { up: string; down: string | undefined },
  tool: ForeignTool,
): void {
  writeFileSync(converted.file, render(migration, body, converted, tool), { flag: 'wx', mode: 0o644 })
}

/** Code-unit order, as Prisma sorts its migration directories (not the locale's). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** `v` and the tool's version (`v20240101120000`, Flyway's `1.2` as `v1_2`): ordered, recognisable, valid. */
function revisionFor(migration: ForeignMigration, tool: ForeignTool): string {
  const revision = `v${migration.version.replace(/[^A-Za-z0-9]/g, '_')}`
  const problem = revisionIdProblem(revision)
  if (problem !== undefined)
    throw new InvalidInputError(`${migration.source}: its ${tool} version gives no revision id: ${problem}`)
  return revision
}

/** Statements PostgreSQL runs only outside a transaction block. */
const OUTSIDE_TRANSACTION =
  /^\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|REINDEX\b[^;]*\bCONCURRENTLY|VACUUM|ALTER\s+SYSTEM|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+TABLE\b[^;]*\bDETACH\s+PARTITION\b[^;]*\bCONCURRENTLY)/i

/**
 * The first statement that cannot run in a transaction, if any: tools that send a file
 * as one simple query (golang-migrate, Prisma) run a lone CONCURRENTLY build fine, and
 * the converted migration must then run without a transaction too.
 */
function nonTransactionalStatement(migration: ForeignMigration): string | undefined {
  for (const text of [migration.up, migration.down ?? '']) {
    for (const statement of splitStatements(text)) {
      const body = statement.sql.replace(/^(?:\s*--[^\n]*\n)+/, '')
      if (OUTSIDE_TRANSACTION.test(body))
        return `${body.trim().split(/\s+/).slice(0, 4).join(' ')} runs only outside a transaction`
    }
  }
  return undefined
}

function render(
  migration: ForeignMigration,
  body: { up: string; down: string | undefined },
  converted: ConvertedMigration,
  tool: ForeignTool,
): string {
  return renderSqlMigration({
    revision: converted.revision,
    downRevisions: converted.downRevision === undefined ? [] : [converted.downRevision],
    message: migration.title,
    branchLabels: [],
    dependsOn: [],
    createDate: createDateOf(migration.version),
    template: 'blank',
    body: {
      up: `-- Converted from ${tool}: ${migration.source}\n${body.up.trim()}`,
      down: body.down?.trim(),
      transactional: converted.transactional,
      ...(converted.hasDowngrade
        ? {}
        : { allow: [`missing-downgrade: converted from ${tool}, which kept no down migration for it`] }),
    },
  })
}

/** BEGIN, START TRANSACTION, COMMIT or END: a statement that opens or closes a transaction. */
const TRANSACTION_CONTROL = /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?\s*;?$/i

/**
 * The SQL without the lines that hold a transaction-control statement alone. Statements
 * are found as PostgreSQL reads them, so a function body's `BEGIN ... END;` (inside its
 * dollar quotes) stays; a BEGIN sharing its line with other SQL stays too, and
 * `strata check` reports it.
 */
function withoutTransactionControl(sql: string): string {
  const lines = sql.split('\n')
  const drop = new Set<number>()
  for (const statement of splitStatements(sql)) {
    const text = statement.sql.replace(/^(?:\s*--[^\n]*\n)+/, '').trim()
    if (!TRANSACTION_CONTROL.test(text)) continue
    for (let index = statement.line - 1; index < lines.length; index++) {
      const line = lines[index]!.trim()
      if (line === '' || line.startsWith('--')) continue
      if (TRANSACTION_CONTROL.test(line)) drop.add(index)
      break
    }
  }
  return drop.size === 0 ? sql : lines.filter((_, index) => !drop.has(index)).join('\n')
}

/** A 14-digit timestamp version (Prisma, dbmate, node-pg-migrate) is when it was written. */
function createDateOf(version: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(version)
  if (match) return `${match[1]}-${match[2]}-${match[3]} ${match[4]}:${match[5]}:${match[6]}`
  // Milliseconds since 1970 (node-pg-migrate's and TypeORM's names): 13 digits.
  if (/^\d{13}$/.test(version))
    return new Date(Number(version)).toISOString().replace('T', ' ').replace('Z', '')
  return new Date().toISOString().replace('T', ' ').replace('Z', '')
}
