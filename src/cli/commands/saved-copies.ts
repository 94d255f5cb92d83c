import type { Command } from 'commander'
import { sqlIdent } from '../../db/quote.js'
import { UsageError } from '../../errors/index.js'
import { plural } from '../../util/plural.js'
import { mark, table } from '../output.js'
import { action } from '../run-action.js'

/**
 * `strata backups saved`: the copies upgrades and downgrades kept in `strata_saved` when
 * no pg_dump could back the server up, and their retention.
 */
export function registerSavedCopiesCommand(backups: Command): void {
  backups
    .command('saved')
    .description(
      'copies in strata_saved of tables an upgrade or downgrade destroyed, and databases kept on the server; --prune applies retention',
    )
    .option('--prune', 'drop the copies older than backup.retentionDays (shows them unless --yes)')
    .option('-y, --yes', 'with --prune: drop them')
    .addHelpText(
      'after',
      `
Without a pg_dump that fits the server (the embedded development server has none), an
upgrade or downgrade that destroys data copies the tables first into the schema
strata_saved, on the server. They take disk until dropped. The whole databases kept
beside the live one are listed too: <db>_pre_restore_<time> (the database as it was
before a restore swapped another in) and <db>_predeploy_<time> (a deploy's copy).
A pre-restore database may hold the only copy of writes made after the backup: it is
dropped only by \`strata backups prune --yes\`, once older than backup.retentionDays.

Examples:
  strata backups saved                 the copies: table, when, size, why
  strata backups saved --prune         those older than backup.retentionDays (30)
  strata backups saved --prune --yes   drop them`,
    )
    .action(
      action(async (context, flags: { prune?: boolean; yes?: boolean }) => {
        if (flags.yes && !flags.prune)
          throw new UsageError('--yes confirms --prune; alone it does nothing', {
            hint: 'strata backups saved --prune --yes drops the copies past retention',
          })
        const config = await context.config()
        const { withConnection } = await import('../../db/connect.js')
        const { dropSavedCopies, expiredCopies, listSavedCopies } = await import(
          '../../backup/saved-tables.js'
        )
        const { prettySize } = await import('../../diagnose/sizes.js')
        const { listKeptDatabases } = await import('../../backup/kept-databases.js')
        const spec = await context.connectionSpec()
        return withConnection(spec, async ({ client }) => {
          const copies = await listSavedCopies(client)
          const shown = flags.prune ? expiredCopies(copies, config.backup.retentionDays) : copies
          const rows = shown.map((copy) => [
            copy.name,
            copy.of ?? '?',
            copy.savedAt?.replace('T', ' ').slice(0, 19) ?? '?',
            copy.rows === undefined ? '?' : copy.rows.toLocaleString('en-US'),
            prettySize(copy.bytes),
            copy.why ?? '',
          ])
          if (!flags.prune) {
            context.output.line(
              copies.length === 0
                ? 'no copies in strata_saved'
                : table([['copy', 'of', 'saved', 'rows', 'size', 'why'], ...rows]),
            )
            // Listed only: whole databases are pruned by `backups prune`, not here.
            const databases = await listKeptDatabases(client, spec.database)
            if (databases.length > 0) {
              context.output.line('')
              context.output.line(
                `${plural(databases.length, 'database')} of ${spec.database} kept on the server (whole copies; those a restore set aside go only with \`strata backups prune --yes\`, past retention):`,
              )
              context.output.line(
                table([
                  ['database', 'kept', 'size', 'what'],
                  ...databases.map((kept) => [
                    kept.name,
                    kept.keptAt,
                    prettySize(kept.bytes),
                    kept.kind === 'pre_restore'
                      ? 'the database before a restore, with writes made after the backup'
                      : 'a deploy copy (pruned to deploy.keepServerCopies)',
                  ]),
                ]),
              )
              context.output.line(
                `once one is no longer needed: DROP DATABASE ${sqlIdent(databases[0]!.name)};  (psql, as its owner)`,
              )
            }
            context.output.data({ copies, databases })
            return 0
          }
          if (shown.length === 0) {
            context.output.line(
              `${mark.ok()} no copy is older than ${config.backup.retentionDays} days (${plural(copies.length, 'copy', 'copies')} in strata_saved)`,
            )
            context.output.data({ dropped: [], expired: [] })
            return 0
          }
          context.output.line(table([['copy', 'of', 'saved', 'rows', 'size', 'why'], ...rows]))
          if (!flags.yes) {
            context.output.line(
              `${plural(shown.length, 'copy', 'copies')} older than ${config.backup.retentionDays} days; drop ${shown.length === 1 ? 'it' : 'them'} with --yes`,
            )
            context.output.data({ dropped: [], expired: shown })
            return 0
          }
          await dropSavedCopies(client, shown)
          context.output.line(
            `${mark.ok()} dropped ${plural(shown.length, 'copy', 'copies')} (${prettySize(shown.reduce((sum, copy) => sum + copy.bytes, 0))})`,
          )
          context.output.data({ dropped: shown, expired: shown })
          return 0
        })
      }),
    )
}
