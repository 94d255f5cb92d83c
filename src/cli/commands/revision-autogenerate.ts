import { relative } from 'node:path'
import type { GeneratedPart } from '../../autogenerate/write-generated-migrations.js'
import { UsageError } from '../../errors/index.js'
import { versionDirectory } from '../../graph/version-directory.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'

/** `strata revision`'s options. */
export interface RevisionFlags {
  message: string
  revId?: string
  head?: string
  splice?: boolean
  branchLabel?: string[]
  dependsOn?: string[]
  sql?: boolean
  template?: string
  versionPath?: string
  baseline?: boolean
  autogenerate?: boolean
}

/**
 * `strata revision --autogenerate`: what was changed in the database by hand becomes a
 * migration, proven on a scratch database, and the database is stamped at it.
 */
export async function autogenerate(context: CommandContext, flags: RevisionFlags): Promise<number> {
  if (flags.baseline) throw new UsageError('give --autogenerate or --baseline, not both')
  if (
    flags.template !== undefined ||
    flags.head !== undefined ||
    flags.splice ||
    flags.dependsOn ||
    flags.branchLabel
  )
    throw new UsageError(
      '--autogenerate writes the next migration on the single head from the database: no --template, --head, --splice, --depends-on or --branch-label',
    )
  const config = await context.config()
  const migrations = await context.migrations()
  const directory = versionDirectory(config.migrations.directories, flags.versionPath)
  const spec = await context.connectionSpec()
  const { autogenerateRevision } = await import('../../autogenerate/autogenerate-revision.js')
  const result = await autogenerateRevision({
    config,
    spec,
    migrations,
    message: flags.message,
    revId: flags.revId,
    directory,
    args: context.migrationArguments(),
  })
  context.output.data(result)
  const at = result.from.length === 0 ? 'base' : result.from.join(', ')
  if (result.created.length === 0) {
    context.output.line(
      `${mark.ok()} No changes: ${result.database} matches its migrations at ${at}; nothing written`,
    )
    return 0
  }
  const files = result.created.map((created) => relative(process.cwd(), created.file))
  const head = result.created.at(-1)!.revision
  const what: Record<GeneratedPart, string> = {
    'enum values': 'enum values added, committed before the changes that may use them',
    changes: `${plural(result.upgradeStatements, 'statement')} up, ${result.downgradeStatements} down: what ${result.database} has that its migrations at ${at} do not make`,
    concurrently:
      'outside a transaction: indexes built and dropped CONCURRENTLY, constraints validated apart, so tables with rows stay in use',
    keys: 'primary keys and unique constraints added USING INDEX, from the indexes built before: a brief lock, no build',
    contract:
      'phase contract: drops what the previous release may still read; `strata deploy --phase contract` runs it once every instance runs the new release',
  }
  for (const [index, created] of result.created.entries())
    context.output.line(`${mark.ok()} Generating ${files[index]} ... done (${what[created.part]})`)
  for (const line of result.renames) context.output.line(`${mark.warn()} ${line}`)
  const named = files.join(' and ')
  if (result.byHand.length > 0) {
    context.output.line(
      `${mark.warn()} ${plural(result.byHand.length, 'change')} to write by hand (a TODO in the file):`,
    )
    for (const line of result.byHand) context.output.line(`    ${line}`)
    context.output.line(
      `next: finish ${files[0]}, then \`strata stamp ${head}\` on ${result.database}, which already has these changes`,
    )
    return 0
  }
  const proof = result.proof!
  if (!result.stamped && proof.upgradeMatches && proof.downgradeMatches) {
    context.output.line(
      `${mark.fail()} replayed on a scratch database it reproduces what was read, but ${result.database} changed while it was generated; not stamped:`,
    )
    for (const line of proof.problems) context.output.line(`    ${line}`)
    context.output.line(`next: remove ${named} and generate again`)
    return 1
  }
  if (!result.stamped) {
    context.output.line(
      `${mark.fail()} replayed on a scratch database, the ${files.length > 1 ? 'migrations do' : 'migration does'} not reproduce ${result.database}; ${result.database} was not stamped:`,
    )
    for (const line of proof.problems) context.output.line(`    ${line}`)
    context.output.line(`next: correct ${named} by hand, then \`strata stamp ${head}\` on ${result.database}`)
    return 1
  }
  context.output.line(
    `${mark.ok()} replayed on a scratch database: the upgrade builds exactly ${result.database}'s schema and the downgrade restores the one before${result.downgradeByHand.length > 0 ? ', except what it cannot undo:' : ''}`,
  )
  for (const line of result.downgradeByHand) context.output.line(`    ${line}`)
  context.output.line(`${mark.ok()} ${result.database} stamped at ${head}: it already has these changes`)
  context.output.line(
    `next: review ${named}; \`strata check\` shows the locks ${files.length > 1 ? 'they take' : 'it takes'} before production${result.created.some((created) => created.part === 'contract') ? '; deploy with `strata deploy --phase expand`, then `--phase contract` once the new release runs everywhere' : ''}`,
  )
  return 0
}
