import type { Command } from 'commander'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { type RetentionFlags, retentionFrom, withRetentionOptions } from '../retention-flags.js'
import { action } from '../run-action.js'

/**
 * `strata backups prune`: backups past retention (never the newest verified ones), and
 * the databases restores set aside past the same retention; the plan unless --yes.
 */
export function registerBackupPruneCommand(backups: Command): void {
  const prune = backups
    .command('prune')
    .description(
      'delete backups past retention (never the newest verified ones) and the databases restores set aside past it; shows the plan unless --yes',
    )
    .option('-y, --yes', 'delete them')
  withRetentionOptions(prune).action(
    action(async (context, flags: { yes?: boolean } & RetentionFlags) => {
      const config = await context.config()
      const { retentionDays, keepVerified } = retentionFrom(flags, config)
      const { planPrune, applyPrune } = await import('../../backup/prune-backups.js')
      const plan = planPrune(config.backup.directory, retentionDays, keepVerified)
      context.output.line(
        `Retention: ${plan.retentionDays} days; the newest ${plan.keepVerified} verified backups are always kept`,
      )
      for (const entry of plan.delete)
        context.output.line(
          `  ${flags.yes ? 'deleted' : 'would delete'}  ${entry.manifest.id}  (finished ${entry.manifest.finishedAt})`,
        )
      for (const item of plan.protected)
        context.output.line(`  kept          ${item.entry.manifest.id}  (${item.reason})`)
      if (flags.yes) applyPrune(plan)
      const databases = await pruneKeptDatabases(context, retentionDays, Boolean(flags.yes))
      const anything = plan.delete.length > 0 || databases.expired.length > 0
      if (!flags.yes && anything) context.output.line('Nothing deleted: run again with --yes to delete these')
      if (!anything) context.output.line(`${mark.ok()} nothing to prune`)
      context.output.data({
        deleted: flags.yes ? plan.delete.map((entry) => entry.manifest.id) : [],
        wouldDelete: flags.yes ? [] : plan.delete.map((entry) => entry.manifest.id),
        kept: plan.protected.map((item) => ({ id: item.entry.manifest.id, reason: item.reason })),
        databases,
      })
      return databases.failed.length > 0 ? 1 : 0
    }),
  )
}

/**
 * The databases restores set aside (`<db>_pre_restore_<time>`) past retention: listed,
 * and dropped with --yes. Only when the database's server is reachable without starting
 * one (the development server is not started for a prune).
 */
async function pruneKeptDatabases(
  context: CommandContext,
  retentionDays: number,
  drop: boolean,
): Promise<{
  expired: string[]
  dropped: string[]
  failed: { name: string; reason: string }[]
  skipped?: string
}> {
  const none = { expired: [], dropped: [], failed: [] }
  if (!(await context.databaseWithoutStarting())) return none
  const { dropKeptDatabases, expiredPreRestoreDatabases, listKeptDatabases } = await import(
    '../../backup/kept-databases.js'
  )
  const { prettySize } = await import('../../diagnose/sizes.js')
  const { connect } = await import('../../db/connect.js')
  let connection: Awaited<ReturnType<typeof connect>>
  try {
    connection = await connect(await context.connectionSpec())
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    context.output.line(`  (databases kept on the server not checked: ${reason})`)
    return { ...none, skipped: reason }
  }
  try {
    const expired = expiredPreRestoreDatabases(
      await listKeptDatabases(connection.client, connection.spec.database),
      retentionDays,
    )
    for (const database of expired)
      context.output.line(
        `  ${drop ? 'dropping' : 'would drop'}    database ${database.name}  (as it was before a restore on ${database.keptAt}; ${prettySize(database.bytes)})`,
      )
    if (!drop || expired.length === 0) return { ...none, expired: expired.map((database) => database.name) }
    const result = await dropKeptDatabases(connection.client, expired)
    for (const failure of result.failed)
      context.output.line(`  ${mark.fail()} ${failure.name} not dropped: ${failure.reason}`)
    return { expired: expired.map((database) => database.name), ...result }
  } finally {
    await connection.close()
  }
}
