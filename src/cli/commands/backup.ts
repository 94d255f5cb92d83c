import type { Command } from 'commander'
import type { BackupManifest } from '../../backup/manifest.js'
import { UsageError } from '../../errors/index.js'
import { plural, shortList } from '../../util/plural.js'
import { logTimestamp } from '../../util/timestamp.js'
import type { CommandContext } from '../context.js'
import { runByDefault } from '../default-subcommand.js'
import { collect, positiveInteger } from '../option-values.js'
import { mark, table } from '../output.js'
import { type RetentionFlags, retentionFrom, withRetentionOptions } from '../retention-flags.js'
import { action } from '../run-action.js'
import { progressLines } from '../workflow-lines.js'
import { registerBackupImportCommand } from './backup-import.js'
import { registerBackupPruneCommand } from './backup-prune.js'
import { registerSavedCopiesCommand } from './saved-copies.js'

/** The guide's timestamped progress lines (stdout; silenced by --json and --quiet). */
interface BackupFlags extends RetentionFlags {
  format?: string
  schemaOnly?: boolean
  dataOnly?: boolean
  table?: string[]
  excludeTableData?: string[]
  compress?: string
  jobs?: string
  verify?: boolean
  prune?: boolean
}

async function backup(context: CommandContext, flags: BackupFlags): Promise<number> {
  const config = await context.config()
  if (flags.format === 'base') {
    refuseLogicalOptions(flags)
    return baseBackup(context)
  }
  if (flags.format !== undefined && !['plain', 'custom', 'directory'].includes(flags.format))
    throw new UsageError(`--format must be plain, custom, directory or base, got "${flags.format}"`, {
      hint: "plain is the guide's .sql.gz; custom (.dump) restores in parallel and by table",
    })
  const jobs = positiveInteger(flags.jobs, '--jobs', 4)
  const { retentionDays, keepVerified } = retentionFrom(flags, config)
  const spec = await context.connectionSpec()
  const progress = progressLines(context)
  const { createBackup } = await import('../../backup/create-backup.js')
  const { prettySize } = await import('../../diagnose/sizes.js')
  const result = await createBackup({
    config,
    spec,
    ...(flags.format === undefined ? {} : { format: flags.format as 'plain' | 'custom' | 'directory' }),
    schemaOnly: Boolean(flags.schemaOnly),
    dataOnly: Boolean(flags.dataOnly),
    tables: flags.table ?? [],
    ...(flags.excludeTableData === undefined ? {} : { excludeTableData: flags.excludeTableData }),
    ...(flags.compress === undefined ? {} : { compression: flags.compress }),
    ...(jobs === undefined ? {} : { jobs }),
    onProgress: progress,
  })
  progress(`Backup size: ${prettySize(result.manifest.sizeBytes)}`)
  let verified: boolean | undefined
  if (flags.verify) {
    const { verifyBackup } = await import('../../backup/verify-backup.js')
    const verification = await verifyBackup(result.entry, { pgBinDir: config.pgBinDir })
    verified = verification.ok
    progress(
      verification.ok
        ? 'Backup verified: checksum and full read'
        : `Backup FAILED verification: ${verification.checks.find((check) => !check.ok)?.detail}`,
    )
    if (!verification.ok) {
      context.output.data({ ok: false, backup: result.manifest, verified })
      return 1
    }
  }
  progress('Backup completed successfully')
  let removed: string[] = []
  if (flags.prune !== false) {
    const { planPrune, applyPrune } = await import('../../backup/prune-backups.js')
    progress(`Cleaning up old backups (retention: ${retentionDays} days)`)
    const plan = planPrune(config.backup.directory, retentionDays, keepVerified, new Date(), [
      result.manifest.id,
    ])
    applyPrune(plan)
    removed = plan.delete.map((entry) => entry.manifest.id)
    progress(`Removed ${removed.length} old backup${removed.length === 1 ? '' : 's'}`)
  }
  context.output.data({
    ok: true,
    backup: result.manifest,
    path: result.path,
    ...(verified === undefined ? {} : { verified }),
    pruned: removed,
  })
  return 0
}

/** A base backup copies the whole cluster as files: pg_dump's choices have no meaning there. */
function refuseLogicalOptions(flags: BackupFlags): void {
  const given = [
    flags.schemaOnly ? '--schema-only' : undefined,
    flags.dataOnly ? '--data-only' : undefined,
    (flags.table ?? []).length > 0 ? '--table' : undefined,
    flags.excludeTableData === undefined ? undefined : '--exclude-table-data',
    flags.compress === undefined ? undefined : '--compress',
    flags.jobs === undefined ? undefined : '--jobs',
  ].filter((option) => option !== undefined)
  if (given.length === 0) return
  throw new UsageError(
    `${shortList(given)} ${given.length === 1 ? 'applies' : 'apply'} to logical backups (pg_dump); --format base copies the whole server's files`,
    {
      hint: 'leave them out for a base backup, or use --format custom, plain or directory for a backup of some tables or of the schema alone',
    },
  )
}

async function baseBackup(context: CommandContext): Promise<number> {
  const config = await context.config()
  const spec = await context.connectionSpec()
  const { createBaseBackup } = await import('../../backup/pitr/base-backup.js')
  const manifest = await createBaseBackup(config, spec, progressLines(context))
  progressLines(context)('Backup completed successfully')
  context.output.data({ ok: true, backup: manifest })
  return 0
}

/** `strata backup`, `strata backups list|verify|prune`, `strata restore`, `strata pitr`. */
export function registerBackupCommands(program: Command): void {
  const backupCommand = program
    .command('backup')
    .description('back up the database with pg_dump into the backup directory, with a manifest')
    .option(
      '--format <format>',
      'plain (.sql.gz), custom (.dump) or directory (default: backup.format, custom)',
    )
    .option('--schema-only', 'definitions only, no rows')
    .option('--data-only', 'rows only, no definitions')
    .option('-t, --table <table>', 'only this table (repeatable; pg_dump patterns)', collect)
    .option(
      '--exclude-table-data <table>',
      "this table's definition without its rows (repeatable; default: backup.excludeTableData)",
      collect,
    )
    .option('--compress <method>', "0-9, 'gzip:N', 'lz4', 'zstd:N' (the last two with pg_dump 16+)")
    .option('-j, --jobs <n>', 'parallel dump jobs (directory format)')
    .option('--verify', 'read the whole archive back before reporting success')
    .option('--no-prune', 'keep old backups this time (default: apply retention afterwards)')
  withRetentionOptions(backupCommand).action(
    action(async (context, flags: BackupFlags) => backup(context, flags)),
  )

  const backups = program
    .command('backups')
    .description('the backup catalog: list, verify, prune, import; saved: copies kept on the server')
  backups
    .command('list')
    .description('backups in the backup directory, newest first (the default)')
    .action(
      action(async (context) => {
        const config = await context.config()
        const { foreignArchives, listBackups } = await import('../../backup/catalog.js')
        const { totalRows, unreadableManifests } = await import('../../backup/manifest.js')
        const { prettySize } = await import('../../diagnose/sizes.js')
        const entries = listBackups(config.backup.directory)
        const unreadable = unreadableManifests(config.backup.directory)
        const foreign = foreignArchives(config.backup.directory, entries)
        if (entries.length === 0)
          context.output.line(
            `no ${foreign.length > 0 ? 'Strata ' : ''}backups in ${config.backup.directory}`,
          )
        else
          context.output.line(
            table([
              ['id', 'finished', 'format', 'size', 'revision', 'rows', 'verified'],
              ...entries.map(({ manifest, present }) => [
                manifest.id,
                logTimestamp(new Date(manifest.finishedAt)).slice(1, -1),
                formatColumn(manifest),
                present ? prettySize(manifest.sizeBytes) : 'MISSING',
                manifest.revisions.join(',') || 'base',
                totalRows(manifest).toLocaleString('en-US'),
                manifest.verified ? `${manifest.verified.method} ${manifest.verified.at.slice(0, 10)}` : 'no',
              ]),
            ]),
          )
        if (foreign.length > 0)
          context.output.notice(
            `${mark.warn()} ${plural(foreign.length, 'archive')} without a Strata manifest (another tool's backups?): ${shortList(foreign, 5)}. Strata does not restore or prune them until it has checked them: \`strata backups import ${foreign[0]}\` reads one whole and adds it to the catalog`,
          )
        for (const { file, reason } of unreadable)
          context.output.notice(
            `${mark.warn()} ${file} cannot be read (${reason}): its backup is not listed, verified, restored or pruned; put the manifest back from a copy, or remove it with its archive`,
          )
        context.output.data({
          directory: config.backup.directory,
          backups: entries.map((entry) => ({ ...entry.manifest, present: entry.present })),
          unreadableManifests: unreadable,
          foreignArchives: foreign,
        })
      }),
    )
  registerBackupImportCommand(backups)
  backups
    .command('verify')
    .description(
      'checksum and full read of a backup (all when no ID); --restore-test restores it into a scratch database',
    )
    .argument('[id]', 'a backup id, `latest` or an archive path')
    .option('--restore-test', 'restore into a scratch database on the server and compare row counts')
    .action(
      action(async (context, id: string | undefined, flags: { restoreTest?: boolean }) => {
        const config = await context.config()
        const { findBackup, listBackups } = await import('../../backup/catalog.js')
        const { verifyBackup } = await import('../../backup/verify-backup.js')
        const { unreadableManifests } = await import('../../backup/manifest.js')
        const entries =
          id === undefined ? listBackups(config.backup.directory) : [findBackup(id, config.backup.directory)]
        // Verifying every backup: a manifest that cannot be read is a backup that fails,
        // not one that is not there (a nightly verify said "no backups" and exited 2).
        const unreadable = id === undefined ? unreadableManifests(config.backup.directory) : []
        if (entries.length === 0 && unreadable.length === 0)
          throw new UsageError(`no backups in ${config.backup.directory}`, {
            hint: 'take one with `strata backup`',
          })
        const spec = flags.restoreTest ? await context.connectionSpec() : undefined
        const results = []
        for (const entry of entries) {
          const result = await verifyBackup(entry, {
            pgBinDir: config.pgBinDir,
            ...(spec ? { restoreTestSpec: spec } : {}),
            jobs: config.backup.jobs,
          })
          results.push(result)
          context.output.line(`${result.ok ? mark.ok() : mark.fail()} ${entry.manifest.id}`)
          for (const check of result.checks)
            context.output.line(`    ${check.ok ? mark.ok() : mark.fail()} ${check.name}: ${check.detail}`)
        }
        for (const { file, reason } of unreadable) {
          context.output.line(`${mark.fail()} ${file}`)
          context.output.line(
            `    ${mark.fail()} manifest: cannot be read (${reason}); its backup cannot be verified or restored: put the manifest back from a copy, or remove it with its archive`,
          )
        }
        const ok = results.every((result) => result.ok) && unreadable.length === 0
        context.output.data({ ok, results, unreadableManifests: unreadable })
        return ok ? 0 : 1
      }),
    )
  registerBackupPruneCommand(backups)
  registerSavedCopiesCommand(backups)
  runByDefault(backups, 'list')

  program
    .command('restore')
    .description(
      'restore a backup: beside the live database, checked, then swapped in (or --in-place, or -t TABLE)',
    )
    .argument('<backup>', 'a backup id, `latest`, or an archive path')
    .option('-t, --table <table>', 'restore only this table into the live database (repeatable)', collect)
    .option('--data-only', 'with -t: replace the rows only, keep the table definitions')
    .option('--in-place', 'restore over the live database (asks; a safety backup is taken first)')
    .option('--no-owner', 'do not restore ownership (targets without the original roles)')
    .option('--no-acl', 'do not restore privileges (GRANT/REVOKE)')
    .option('-j, --jobs <n>', 'parallel restore jobs (custom and directory backups)')
    .option(
      '--into-other-database',
      "restore a backup taken of another database (production's into staging) on purpose",
    )
    .option('-y, --yes', 'do not ask (a terminal is asked before a restore)')
    .action(
      action(
        async (
          context,
          reference: string,
          flags: {
            table?: string[]
            dataOnly?: boolean
            inPlace?: boolean
            owner?: boolean
            acl?: boolean
            jobs?: string
            intoOtherDatabase?: boolean
            yes?: boolean
          },
        ) => {
          const config = await context.config()
          const jobs = positiveInteger(flags.jobs, '--jobs', 4)
          // A backup that is not there is bad input, said before any server is started or reached.
          const { findBackup } = await import('../../backup/catalog.js')
          if (reference !== 'latest') findBackup(reference, config.backup.directory)
          const spec = await context.connectionSpec()
          // The backup the question names is the one the restore reads (`latest` passes over
          // partial backups, and other databases' ones, for a whole restore).
          const { findRestoreBackup } = await import('../../backup/restore-source.js')
          const { entry } = findRestoreBackup(reference, config.backup.directory, {
            database: spec.database,
            intoOtherDatabase: Boolean(flags.intoOtherDatabase),
          })
          const { restoreBackup } = await import('../../backup/restore.js')
          const { confirm } = await import('../confirm.js')
          // At a terminal, a whole restore first says which backup `latest` or an id is and
          // what the swap does, and asks; scripts (no terminal) go on as before.
          if (!flags.yes && !flags.inPlace && flags.table === undefined && process.stdin.isTTY) {
            const { totalRows } = await import('../../backup/manifest.js')
            if (!(await confirm(swapQuestion(entry.manifest, totalRows(entry.manifest), spec)))) {
              context.output.line(`${mark.fail()} cancelled: nothing was changed`)
              return 1
            }
          }
          // A restore takes its turn with deploys and rollbacks of the database: its swap
          // ends their sessions, and a deploy failing on that would restore its own backup
          // over this one.
          const { withDeployLock } = await import('../../deploy/deploy-lock.js')
          const onLine = progressLines(context)
          const result = await withDeployLock(
            config,
            spec,
            onLine,
            () =>
              restoreBackup({
                config,
                spec,
                backup: reference,
                ...(flags.table ? { tables: flags.table } : {}),
                dataOnly: Boolean(flags.dataOnly),
                inPlace: Boolean(flags.inPlace),
                noOwner: flags.owner === false,
                noAcl: flags.acl === false,
                intoOtherDatabase: Boolean(flags.intoOtherDatabase),
                ...(jobs === undefined ? {} : { jobs }),
                confirm: async (question) => (flags.yes ? true : confirm(question)),
                onProgress: onLine,
              }),
            'a restore',
          )
          if (result.mode === 'swap')
            context.output.line(
              `${mark.ok()} ${result.database} restored from ${result.backupId}; the previous database is kept as ${result.keptAs}`,
            )
          else if (result.mode === 'created')
            context.output.line(
              `${mark.ok()} ${result.database} created from ${result.backupId} (it did not exist on this server)`,
            )
          else
            context.output.line(
              `${mark.ok()} ${result.mode} restore of ${result.backupId} into ${result.database}; ${result.safetyBackupId === undefined ? 'nothing was overwritten (no safety backup needed)' : `safety backup ${result.safetyBackupId}`}`,
            )
          context.output.data({ ok: true, ...result })
        },
      ),
    )
}

/** What a whole restore is about to do, asked at a terminal. */
function swapQuestion(
  manifest: BackupManifest,
  rows: number,
  spec: { database: string; host: string; port: number },
): string {
  const at = logTimestamp(new Date(manifest.finishedAt)).slice(1, -1)
  return [
    `Restore ${manifest.id} (database ${manifest.database}, taken ${at}, at ${manifest.revisions.join(', ') || 'base'}, ${rows.toLocaleString('en-US')} rows)`,
    `into ${spec.database} on ${spec.host}:${spec.port}? It is built and checked beside the live database first;`,
    `at the swap, sessions on ${spec.database} are ended and the live database is kept as ${spec.database}_pre_restore_<time>.`,
    'Go on?',
  ].join('\n')
}

/** `strata pitr setup` and `strata pitr restore`. */
export function registerPitrCommands(program: Command): void {
  const pitr = program
    .command('pitr')
    .description('point-in-time recovery: WAL archiving and recovery to a moment')
  pitr
    .command('setup')
    .description(
      'turn on WAL archiving into backup.walArchive (restarts a server on this machine when needed)',
    )
    .option('--no-restart', 'do not restart; say what needs one')
    .action(
      action(async (context, flags: { restart?: boolean }) => {
        const config = await context.config()
        const spec = await context.connectionSpec()
        const { setupPitr } = await import('../../backup/pitr/pitr-setup.js')
        const result = await setupPitr(config, spec, { restart: flags.restart !== false })
        for (const change of result.changed) context.output.line(`  ${change}`)
        if (result.changed.length === 0)
          context.output.line(`${mark.ok()} archiving already on, into ${result.walArchive}`)
        else if (result.restarted)
          context.output.line(
            `${mark.ok()} archiving on, into ${result.walArchive}; the server was restarted`,
          )
        else if (result.restartNeeded)
          context.output.line(
            `${mark.warn()} archiving configured into ${result.walArchive}; restart the server for wal_level/archive_mode to apply`,
          )
        else context.output.line(`${mark.ok()} archiving on, into ${result.walArchive} (reloaded)`)
        context.output.line('Next: take a base backup with `strata backup --format base`')
        context.output.data({ ok: true, ...result })
      }),
    )
  pitr
    .command('restore')
    .description(
      'recover a base backup plus archived WAL to a moment, into a new data directory, and start it',
    )
    .requiredOption(
      '--target-time <time>',
      "the moment, e.g. '2026-11-26 10:00:00' (local) or an ISO time with zone",
    )
    .option('--target-action <action>', 'promote (default), pause or shutdown at the target')
    .option('--base <id>', 'the base backup (default: the newest that ended before the target)')
    .option('--data-dir <dir>', 'the new data directory (default: beside the backup directory, under pitr/)')
    .option('--no-start', 'only prepare the data directory')
    .action(
      action(
        async (
          context,
          flags: {
            targetTime: string
            targetAction?: string
            base?: string
            dataDir?: string
            start?: boolean
          },
        ) => {
          const config = await context.config()
          if (
            flags.targetAction !== undefined &&
            !['promote', 'pause', 'shutdown'].includes(flags.targetAction)
          )
            throw new UsageError(
              `--target-action must be promote, pause or shutdown, got "${flags.targetAction}"`,
            )
          const { restorePointInTime } = await import('../../backup/pitr/pitr-restore.js')
          const { recoveredRoot } = await import('../../backup/pitr/recovered-servers.js')
          const { fileTimestamp } = await import('../../backup/backup-names.js')
          const { join, resolve } = await import('node:path')
          const dataDir = resolve(
            flags.dataDir ?? join(recoveredRoot(config), `recovered_${fileTimestamp(new Date())}`),
          )
          const result = await restorePointInTime({
            config,
            targetTime: flags.targetTime,
            ...(flags.targetAction
              ? { targetAction: flags.targetAction as 'promote' | 'pause' | 'shutdown' }
              : {}),
            ...(flags.base ? { base: flags.base } : {}),
            dataDir,
            start: flags.start !== false,
            onProgress: progressLines(context),
          })
          if (result.port !== undefined) {
            context.output.line(
              `${mark.ok()} recovered server running on 127.0.0.1:${result.port} (data directory ${result.dataDir}; same roles and passwords as the original)`,
            )
            // What a person does next: look, take what was lost back, stop the copy.
            context.output.line(
              [
                `  look:       strata --url 'postgresql://USER@127.0.0.1:${result.port}/DATABASE' diagnose sizes   (or psql -h 127.0.0.1 -p ${result.port})`,
                `  take back:  strata --url 'postgresql://USER@127.0.0.1:${result.port}/DATABASE' backup -t TABLE, then strata restore ID -t TABLE on the live database`,
                `  stop:       strata pitr stop ${result.dataDir}   (--remove also deletes the copy)`,
              ].join('\n'),
            )
          } else
            context.output.line(
              `${mark.ok()} data directory ready at ${result.dataDir}; start it with pg_ctl -D ${result.dataDir} start`,
            )
          context.output.data({ ok: true, ...result })
        },
      ),
    )
  pitr
    .command('stop')
    .description('stop a server `strata pitr restore` started (every running one when no DIR is given)')
    .argument('[dir]', 'its data directory, as pitr restore printed it')
    .option('--remove', 'also delete the data directory')
    .action(
      action(async (context, dir: string | undefined, flags: { remove?: boolean }) => {
        const config = await context.config()
        const { stopRecoveredServers } = await import('../../backup/pitr/recovered-servers.js')
        const result = stopRecoveredServers(config, {
          ...(dir === undefined ? {} : { dataDir: dir }),
          remove: Boolean(flags.remove),
        })
        for (const server of result.stopped)
          context.output.line(
            `${mark.ok()} stopped the recovered server on 127.0.0.1:${server.port} (${server.dataDir})`,
          )
        for (const removed of result.removed) context.output.line(`${mark.ok()} removed ${removed}`)
        if (result.stopped.length === 0 && result.removed.length === 0)
          context.output.line(
            dir === undefined ? 'no recovered server is running' : `${dir}: not running; nothing to stop`,
          )
        context.output.data({ ok: true, ...result })
      }),
    )
}

/** The list's format column: `custom`, `plain schema`, `custom -t users`, `custom, no rows of audit_log`. */
function formatColumn(manifest: BackupManifest): string {
  const { options } = manifest
  const scope = options.schemaOnly
    ? ' schema'
    : options.dataOnly
      ? ' data'
      : options.tables.length > 0
        ? ` -t ${options.tables.join(',')}`
        : ''
  const withoutRows = options.excludeTableData?.length
    ? `, no rows of ${options.excludeTableData.join(',')}`
    : ''
  return `${manifest.format}${scope}${withoutRows}`
}
