import type { Command } from 'commander'
import { UsageError } from '../../errors/index.js'
import type { CommandContext } from '../context.js'
import { runByDefault } from '../default-subcommand.js'
import { positiveInteger } from '../option-values.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'

type Topic = 'blocking' | 'locks' | 'activity' | 'sizes' | 'indexes' | 'slow' | 'replication'

async function show(
  context: CommandContext,
  topics: readonly Topic[],
  extra: { table?: string; limit?: string } = {},
) {
  const config = await context.config()
  const spec = await context.connectionSpec()
  const limit = positiveInteger(extra.limit, '--limit', 50)
  const { diagnose } = await import('../../diagnose/diagnose.js')
  const found = await diagnose(
    {
      config,
      spec,
      ...(extra.table === undefined ? {} : { table: extra.table }),
      ...(limit === undefined ? {} : { limit }),
    },
    topics,
  )
  const out = await import('../diagnose-output.js')
  const sections: string[] = []
  const titled = (title: string, body: string) => (topics.length > 1 ? `== ${title} ==\n${body}` : body)
  if (found.blocking) sections.push(titled('Blocking', out.formatBlocking(found.blocking)))
  if (found.locks) sections.push(titled('Locks', out.formatLocks(found.locks)))
  if (found.activity) sections.push(titled('Activity', out.formatActivity(found.activity)))
  if (found.sizes) sections.push(titled('Sizes', out.formatSizes(found.sizes)))
  if (found.indexes) sections.push(titled('Indexes', out.formatIndexes(found.indexes)))
  if (found.slow) sections.push(titled('Slow queries', out.formatSlow(found.slow)))
  if (found.replication) sections.push(titled('Replication', out.formatReplication(found.replication)))
  context.output.line(sections.join('\n\n'))
  context.output.data(found)
}

/** `strata diagnose TOPIC`: read-only views of what the server is doing, and `terminate`. */
export function registerDiagnoseCommands(program: Command): void {
  const diagnose = program
    .command('diagnose')
    .description(
      'blocking sessions, locks, activity, sizes, index usage, slow queries, replication; terminate a session',
    )

  diagnose
    .command('blocking')
    .description('a tree of blocked and blocking sessions, with lock modes, wait times and queries')
    .action(action(async (context) => show(context, ['blocking'])))
  diagnose
    .command('locks')
    .description('locks held and awaited in this database (only on TABLE when given)')
    .argument('[table]', 'a table, NAME or SCHEMA.NAME')
    .action(
      action(async (context, table: string | undefined) =>
        show(context, ['locks'], table === undefined ? {} : { table }),
      ),
    )
  diagnose
    .command('activity')
    .description('non-idle sessions: long-running queries and idle-in-transaction sessions flagged')
    .action(action(async (context) => show(context, ['activity'])))
  diagnose
    .command('sizes')
    .description('database size and the largest tables (heap, indexes, TOAST, rows)')
    .option('--limit <n>', 'tables shown (default 20)')
    .action(action(async (context, flags: { limit?: string }) => show(context, ['sizes'], flags)))
  diagnose
    .command('indexes')
    .description('index usage; unused, redundant and invalid indexes, with the statements that fix them')
    .action(action(async (context) => show(context, ['indexes'])))
  diagnose
    .command('slow')
    .description('the most expensive statements from pg_stat_statements (or how to enable it)')
    .option('--limit <n>', 'statements shown (default 10)')
    .action(action(async (context, flags: { limit?: string }) => show(context, ['slow'], flags)))
  diagnose
    .command('replication')
    .description('replicas and the WAL each has yet to apply, replication slots; on a standby, its own lag')
    .action(action(async (context) => show(context, ['replication'])))
  diagnose
    .command('all')
    .description('every topic above, one after the other (the default)')
    .action(
      action(async (context) =>
        show(context, ['blocking', 'locks', 'activity', 'sizes', 'indexes', 'slow', 'replication']),
      ),
    )
  diagnose
    .command('terminate')
    .description('end a session (its transaction rolls back) after showing what it holds; asks first')
    .argument('<pid>', 'the session, from `strata diagnose blocking` or `activity`')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--cancel', 'cancel its running query only; the session and its transaction stay')
    .action(
      action(async (context, pidText: string, flags: { yes?: boolean; cancel?: boolean }) =>
        terminate(context, pidText, flags),
      ),
    )
  runByDefault(diagnose, 'all')
}

async function terminate(
  context: CommandContext,
  pidText: string,
  flags: { yes?: boolean; cancel?: boolean },
): Promise<number> {
  const pid = Number(pidText)
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid <= 0)
    throw new UsageError(`PID must be a process id (a positive whole number), got "${pidText}"`, {
      hint: '`strata diagnose blocking` and `strata diagnose activity` show the pids',
    })
  const spec = await context.connectionSpec()
  const { withConnection } = await import('../../db/connect.js')
  const { describeTermination, terminateSession } = await import('../../diagnose/terminate.js')
  const { formatTermination } = await import('../diagnose-output.js')
  return withConnection(spec, async ({ client }) => {
    const target = await describeTermination(client, pid)
    const verb = flags.cancel ? 'Cancel the running query of' : 'Terminate'
    context.output.notice(`${verb} this session?\n${formatTermination(target)}`)
    if (!flags.yes) {
      const { confirm } = await import('../confirm.js')
      if (!(await confirm(`${verb} pid ${pid}?`))) {
        context.output.line('Nothing done.')
        context.output.data({ ok: false, pid, done: false, target })
        return 1
      }
    }
    const result = await terminateSession(client, pid, { cancel: Boolean(flags.cancel) })
    if (!result.signalled) context.output.line(`${mark.warn()} pid ${pid} had already ended`)
    else if (flags.cancel) context.output.line(`${mark.ok()} cancelled the running query of pid ${pid}`)
    else if (result.ended)
      context.output.line(`${mark.ok()} terminated pid ${pid}; its transaction was rolled back`)
    else
      context.output.line(
        `${mark.warn()} signalled pid ${pid}, still present after 5s (it ends at its next interrupt check)`,
      )
    context.output.data({ ok: true, pid, ...result, target })
    return 0
  })
}
