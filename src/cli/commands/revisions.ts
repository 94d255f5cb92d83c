import type { Command } from 'commander'
import { UsageError } from '../../errors/index.js'
import { historyLine, historyRevisions, summarize, verboseBlock } from '../../graph/describe-revisions.js'
import type { MigrationSet } from '../../graph/load-migrations.js'
import type { RevisionGraph } from '../../graph/revision-graph.js'
import { versionDirectory } from '../../graph/version-directory.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { namedRevisions } from '../named-revisions.js'
import { collect } from '../option-values.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'
import type { RevisionFlags } from './revision-autogenerate.js'

/** The version rows of the selected database, for `-i` and `current` ranges. */
async function currentRows(context: CommandContext, migrations: MigrationSet): Promise<Set<string>> {
  const { databaseStatus } = await import('../../runner/status.js')
  const { runnerTables } = await import('../../runner/tables.js')
  const status = await databaseStatus(
    await context.connectionSpec(),
    migrations,
    runnerTables(await context.config()),
  )
  return new Set(status.current.map((item) => item.revision))
}

/** "Applied: 2026-11-25 10:00:01 UTC by deploy (postgres@10.0.0.5), 12 ms", from strata_history. */
async function appliedLines(context: CommandContext): Promise<Map<string, string>> {
  const { withConnection } = await import('../../db/connect.js')
  const { readHistory } = await import('../../db/history-table.js')
  const { runnerTables } = await import('../../runner/tables.js')
  const tables = runnerTables(await context.config())
  const rows = await withConnection(await context.connectionSpec(), (connection) =>
    readHistory(connection.client, tables.history),
  )
  const { appliedBy, utcTime } = await import('../history-log.js')
  const lines = new Map<string, string>()
  for (const row of rows) {
    if (row.outcome !== 'success' || row.direction === 'down') continue
    const verb = row.direction === 'stamp' ? 'Stamped' : 'Applied'
    lines.set(
      row.revision,
      `${verb}: ${utcTime(row.finishedAt)} UTC by ${appliedBy(row)}, ${row.durationMs} ms`,
    )
  }
  return lines
}

/** `current`, `history`, `heads`, `branches`, `show`, `edit`, `revision`, `merge`. */
export function registerRevisionCommands(program: Command): void {
  program
    .command('current')
    .description('show the revision(s) the database is at')
    .option('-v, --verbose', 'show each revision in full')
    .option('--check-heads', 'exit 1 unless every head is applied')
    .action(
      action(async (context, flags: { verbose?: boolean; checkHeads?: boolean }) => {
        const config = await context.config()
        const migrations = await context.migrations()
        const { databaseStatus } = await import('../../runner/status.js')
        const { runnerTables } = await import('../../runner/tables.js')
        const { describeDrift } = await import('../../runner/drift.js')
        const status = await databaseStatus(await context.connectionSpec(), migrations, runnerTables(config))
        if (flags.verbose) context.output.line(`Current revision(s) for ${status.database}:`)
        for (const item of status.current) {
          if (!item.known) {
            context.output.line(`${item.revision} (unknown: no migration file defines it)`)
          } else if (flags.verbose) {
            context.output.line(verboseBlock(summarize(migrations.graph, item.revision)))
          } else {
            const labels = item.branchLabels.map((label) => ` (${label})`).join('')
            context.output.line(`${item.revision}${labels}${item.isHead ? ' (head)' : ''}`)
          }
        }
        if (status.current.length === 0) context.output.notice('(base): no migration is applied')
        if (status.unknownRows.length > 0) {
          // Nothing can be planned from an unknown row: upgrade, downgrade and stamp refuse.
          const recorded = status.lastRecorded
          const [it, itIs] = status.unknownRows.length === 1 ? ['it', 'it is'] : ['them', 'they are']
          context.output.notice(
            `${mark.fail()} ${status.unknownRows.join(', ')}: no migration file defines ${it}, so upgrade, downgrade and stamp (without --purge) refuse to start from ${it}\n  check out the code that has ${it} (an older or newer branch?); if ${itIs} gone for good, \`strata stamp ${recorded ?? '<revision>'} --purge\` with the revision the schema is really at${recorded ? ` (strata_history: ${recorded} was the last one applied)` : ''}`,
          )
        } else if (status.pending.length > 0) {
          context.output.notice(
            `${status.pending.length} pending: ${status.pending.slice(0, 5).join(', ')}${status.pending.length > 5 ? ', ...' : ''} — \`strata upgrade head\` applies ${status.pending.length === 1 ? 'it' : 'them'}`,
          )
        }
        for (const warning of status.drift) context.output.notice(`warning: ${describeDrift(warning)}`)
        context.output.data(status)
        if (flags.checkHeads && !status.atHead) {
          context.output.notice(`${mark.fail()} the database is not at head`)
          return 1
        }
        return 0
      }),
    )

  program
    .command('history')
    .description('list revisions, newest first')
    .option('-v, --verbose', 'show each revision in full')
    .option('-r, --rev-range <range>', 'only FROM:TO (e.g. base:head, abc:, -3:current)')
    .option('-i, --indicate-current', 'mark the revisions the database is at')
    .option(
      '--log',
      'what was run against the database instead: each step, who ran it, when, how long, its backup',
    )
    .option('--limit <n>', 'with --log: the newest N steps (default 20)')
    .action(
      action(
        async (
          context,
          flags: {
            verbose?: boolean
            revRange?: string
            indicateCurrent?: boolean
            log?: boolean
            limit?: string
          },
        ) => {
          if (flags.log) {
            if (flags.revRange !== undefined || flags.verbose || flags.indicateCurrent)
              throw new UsageError('--log lists the steps run against the database: no -r, -v or -i with it')
            const { printHistoryLog } = await import('../history-log.js')
            return printHistoryLog(context, flags.limit)
          }
          if (flags.limit !== undefined) throw new UsageError('--limit goes with --log')
          const migrations = await context.migrations()
          const { graph } = migrations
          const needsDatabase =
            Boolean(flags.indicateCurrent) || /current|^[+-]|:[+-]/.test(flags.revRange ?? '')
          const current = needsDatabase ? await currentRows(context, migrations) : undefined
          let range: { from?: string[]; to?: string[] } = {}
          if (flags.revRange !== undefined) {
            const { parseRange, parseTarget } = await import('../../graph/target-syntax.js')
            const { targetRevisions } = await import('../../runner/plan.js')
            const rows = [...(current ?? [])]
            const applied = graph.ancestors(rows, { includeSelf: true })
            const resolve = (text: string | undefined) =>
              text === undefined ? undefined : targetRevisions(graph, parseTarget(text), rows, applied)
            const { from, to } = parseRange(flags.revRange)
            // base (or `current` on a database at base) names no revision: as the lower
            // end it bounds nothing (base:head is the whole history); as the upper, every
            // revision is above it.
            const lower = from ? resolve(from)! : []
            const upper = to ? resolve(to) : undefined
            if (upper !== undefined && upper.length === 0)
              throw new UsageError(
                `-r ${flags.revRange} selects nothing: ${to} is before the first migration, below every revision`,
                {
                  hint:
                    lower.length > 0
                      ? `-r takes OLDER:NEWER: strata history -r ${to}:${from}`
                      : '`strata history` lists every revision; -r base:REV those up to REV',
                },
              )
            range = { ...(lower.length > 0 ? { from: lower } : {}), ...(upper ? { to: upper } : {}) }
          }
          const revisions = historyRevisions(graph, range)
          if (revisions.length === 0 && range.from !== undefined && range.to !== undefined) {
            // Alembic refuses such a range too; an empty history would read as "no migrations".
            const [older, newer] = flags.revRange!.split(':')
            const reversed = historyRevisions(graph, { from: range.to, to: range.from }).length > 0
            throw new UsageError(
              `-r ${flags.revRange} selects nothing: ${older} is not below ${newer}${reversed ? '' : ' (they are on different branches)'}`,
              {
                hint: reversed
                  ? `-r takes OLDER:NEWER: strata history -r ${newer}:${older}`
                  : '`strata history` shows the whole tree; `strata branches` where it forks',
              },
            )
          }
          const summaries = revisions.map((revision) => summarize(graph, revision))
          // With the database at hand (-i), the verbose view says when each revision was applied and by whom.
          const applied = flags.verbose && current !== undefined ? await appliedLines(context) : undefined
          for (const summary of summaries) {
            if (!flags.verbose) {
              context.output.line(historyLine(summary, current))
              continue
            }
            const when = applied?.get(summary.revision)
            const block = verboseBlock(summary, current)
            context.output.line(`${when ? block.replace('\nPath: ', `\n${when}\nPath: `) : block}\n`)
          }
          context.output.data(
            summaries.map((summary) => ({
              ...summary,
              current: current?.has(summary.revision) ?? undefined,
            })),
          )
        },
      ),
    )

  program
    .command('heads')
    .description('show the head revisions of the migration scripts')
    .option('-v, --verbose', 'show each revision in full')
    .action(
      action(async (context, flags: { verbose?: boolean }) => {
        const { graph } = await context.migrations()
        const summaries = graph.heads.map((head) => summarize(graph, head))
        for (const summary of summaries) {
          const labels = summary.branchLabels.map((label) => ` (${label})`).join('')
          context.output.line(
            flags.verbose ? `${verboseBlock(summary)}\n` : `${summary.revision}${labels} (head)`,
          )
        }
        if (summaries.length > 1) {
          context.output.notice(
            `${summaries.length} heads: \`strata merge -m "merge heads" heads\` joins them`,
          )
        }
        context.output.data(summaries)
      }),
    )

  program
    .command('branches')
    .description('show branch points and where they lead')
    .option('-v, --verbose', 'show each revision in full')
    .action(
      action(async (context, flags: { verbose?: boolean }) => {
        const { graph } = await context.migrations()
        const points = graph.all().filter((meta) => graph.isBranchPoint(meta.revision))
        const data = points.map((meta) => ({
          ...summarize(graph, meta.revision),
          branches: graph.children(meta.revision).map((child) => summarize(graph, child)),
        }))
        for (const point of data) {
          context.output.line(
            flags.verbose
              ? verboseBlock(point)
              : `${point.revision} (branchpoint), ${point.message || '(no message)'}`,
          )
          for (const child of point.branches) {
            const heads = graph.headsAbove(child.revision)
            context.output.line(
              `    -> ${child.revision}${child.isHead ? ' (head)' : ` (heads: ${heads.join(', ')})`}, ${child.message || '(no message)'}`,
            )
          }
        }
        if (data.length === 0) context.output.notice('no branch points')
        context.output.data(data)
      }),
    )

  program
    .command('show')
    .description('show one revision in full')
    .argument('<rev>', 'revision, prefix, label, head, ...')
    .action(
      action(async (context, reference: string) => {
        const migrations = await context.migrations()
        const revisions = await namedRevisions(migrations, reference)
        const { graph } = migrations
        const summaries = revisions.map((revision) => summarize(graph, revision))
        for (const summary of summaries) context.output.line(verboseBlock(summary))
        context.output.data(summaries.length === 1 ? summaries[0] : summaries)
      }),
    )

  program
    .command('edit')
    .description("open a revision's migration file in $VISUAL or $EDITOR")
    .argument('[rev]', 'revision, prefix, label, head, heads, current, ...', 'head')
    .action(
      action(async (context, reference: string) => {
        const migrations = await context.migrations()
        const revisions = await namedRevisions(migrations, reference, async () => [
          ...(await currentRows(context, migrations)),
        ])
        const files = revisions.map((revision) => migrations.graph.get(revision).file)
        const { openInEditor } = await import('../open-in-editor.js')
        openInEditor(files)
        context.output.data({ revisions, files })
      }),
    )

  program
    .command('revision')
    .description('create a new migration file')
    .requiredOption('-m, --message <message>', 'what the migration does')
    .option('--rev-id <id>', 'use this revision id instead of a generated one')
    .option('--head <rev>', 'parent revision: head (default), base, REV or label@head')
    .option('--splice', 'allow a parent that is not a head (start a branch)')
    .option('--branch-label <label>', 'name the branch this revision starts (repeatable)', collect)
    .option('--depends-on <rev>', 'a revision that must be applied first (repeatable)', collect)
    .option('--sql', 'create an SQL migration instead of TypeScript')
    .option('--template <name>', 'blank, add-column, add-index or add-foreign-key')
    .option('--version-path <dir>', 'version location to write to (default: the first)')
    .option('--baseline', "the first migration: the database's schema as it is (adopting a database)")
    .option(
      '--autogenerate',
      'the next migration from what was changed in the database by hand (psql, an ORM, a GUI): proven on a scratch database, then the database is stamped at it',
    )
    .action(
      action(async (context, flags: RevisionFlags) => {
        if (flags.autogenerate) {
          const { autogenerate } = await import('./revision-autogenerate.js')
          return autogenerate(context, flags)
        }
        const config = await context.config()
        const { graph } = await context.migrations().catch(async (error) => {
          // A brand-new project has no versions directory yet: start an empty graph.
          if (/does not exist/.test((error as Error).message)) {
            const { RevisionGraph } = await import('../../graph/revision-graph.js')
            return { graph: new RevisionGraph([]) }
          }
          throw error
        })
        const { createRevision } = await import('../../graph/create-revision.js')
        if (flags.baseline) return baseline(context, graph, flags)
        const created = createRevision(graph, {
          message: flags.message,
          revId: flags.revId,
          head: flags.head,
          splice: flags.splice,
          branchLabels: flags.branchLabel,
          dependsOn: flags.dependsOn,
          sql: flags.sql,
          template: flags.template,
          directory: versionDirectory(config.migrations.directories, flags.versionPath),
          fileTemplate: config.migrations.fileTemplate,
        })
        context.output.line(`${mark.ok()} Generating ${created.file} ... done`)
        context.output.data(created)
      }),
    )

  program
    .command('merge')
    .description('create a merge revision joining two or more heads')
    .argument('<revisions...>', 'the revisions to merge (or `heads`)')
    .requiredOption('-m, --message <message>', 'what the merge is for')
    .option('--rev-id <id>', 'use this revision id')
    .option('--branch-label <label>', 'name for the merged branch (repeatable)', collect)
    .option('--sql', 'create an SQL migration instead of TypeScript')
    .action(
      action(
        async (
          context,
          revisions: string[],
          flags: { message: string; revId?: string; branchLabel?: string[]; sql?: boolean },
        ) => {
          const config = await context.config()
          const { graph } = await context.migrations()
          const { createRevision } = await import('../../graph/create-revision.js')
          const created = createRevision(graph, {
            message: flags.message,
            revId: flags.revId,
            merge: revisions,
            branchLabels: flags.branchLabel,
            sql: flags.sql,
            directory: config.migrations.directories[0]!,
            fileTemplate: config.migrations.fileTemplate,
          })
          context.output.line(
            `${mark.ok()} Generating ${created.file} ... done (merges ${created.downRevisions.join(', ')})`,
          )
          context.output.data(created)
        },
      ),
    )
}

/**
 * `strata revision --baseline`: adopting a database that another tool (or nobody)
 * migrated. The schema as it is becomes the first migration, with no downgrade; the
 * database that already has it is then stamped, and new ones get it by upgrading.
 */
async function baseline(
  context: CommandContext,
  graph: RevisionGraph,
  flags: RevisionFlags,
): Promise<number> {
  if (graph.all().length > 0) {
    throw new UsageError(
      `a baseline is the first migration, and this project has ${graph.all().length} already`,
      {
        hint: 'adopt with a baseline before writing migrations; later changes are ordinary revisions',
      },
    )
  }
  if (flags.template !== undefined || flags.head !== undefined || flags.splice || flags.dependsOn)
    throw new UsageError(
      '--baseline takes the schema from the database and starts the history: no --template, --head, --splice or --depends-on',
    )
  const config = await context.config()
  const spec = await context.connectionSpec()
  const { dumpSchema } = await import('../../adopt/schema-dump.js')
  const { createRevision } = await import('../../graph/create-revision.js')
  const directory = versionDirectory(config.migrations.directories, flags.versionPath)
  const dump = await dumpSchema(config, spec)
  const created = createRevision(graph, {
    message: flags.message,
    revId: flags.revId,
    branchLabels: flags.branchLabel,
    body: {
      allow: [
        'missing-downgrade: a baseline adopts a schema that exists; there is nothing below it to go back to',
      ],
      up: `-- The schema of ${spec.database} as it was (${dump.dumpedWith}, ${new Date().toISOString().slice(0, 10)}),\n-- without owners, grants and migration tools' tables. A baseline has no downgrade.\n${dump.sql}`,
    },
    directory,
    fileTemplate: config.migrations.fileTemplate,
  })
  context.output.line(
    `${mark.ok()} Generating ${created.file} ... done (baseline: ${plural(dump.objects, 'table, view or function', 'tables, views and functions')} of ${spec.database})`,
  )
  for (const left of dump.leftOut)
    context.output.line(`  left out ${left.table} (bookkeeping of ${left.tool}, ${plural(left.rows, 'row')})`)
  // An Alembic version table with rows: stamp replaces them only with --purge.
  const purge = dump.leftOut.some((left) => left.isVersionTable && left.rows > 0) ? ' --purge' : ''
  context.output.line(
    `next: \`strata stamp ${created.revision}${purge}\` on ${spec.database} and every database that already has this schema; a new database gets it with \`strata upgrade head\``,
  )
  context.output.data({ ...created, objects: dump.objects, leftOut: dump.leftOut })
  return 0
}
