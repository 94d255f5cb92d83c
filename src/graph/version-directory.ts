import { relative, resolve } from 'node:path'
import { UsageError } from '../errors/index.js'

/**
 * The directory a new revision is written to: the first migrations directory, or the
 * one `--version-path` names, which must be among `migrations.directories`: a file
 * written anywhere else is never loaded, so `history` and `upgrade` would not see it
 * (Alembic refuses such a path for the same reason).
 *
 * @example versionDirectory(config.migrations.directories, flags.versionPath)
 */
export function versionDirectory(directories: readonly string[], requested: string | undefined): string {
  if (requested === undefined) return directories[0]!
  const wanted = resolve(requested)
  const found = directories.find((directory) => resolve(directory) === wanted)
  if (found !== undefined) return found
  const shown = directories.map((directory) => relative(process.cwd(), directory) || '.')
  throw new UsageError(
    `--version-path ${requested} is not a migrations directory of this project: a revision written there would not be loaded`,
    {
      hint: `use ${shown.length === 1 ? '' : 'one of '}${shown.join(', ')}, or add it to migrations.directories in the config`,
    },
  )
}
