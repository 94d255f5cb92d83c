import type { Command } from 'commander'
import { withAlembicHint } from './alembic-flags.js'

/**
 * What to type, for a command run without its target: commander alone says
 * "missing required argument 'target'" and stops there.
 */
const TARGET_HINTS: Readonly<Record<string, string>> = {
  downgrade:
    '`strata downgrade -1` goes one step back; a revision id back to it; `base` reverts everything (data it destroys is backed up first)',
  stamp: '`strata stamp head` marks the database as up to date without running anything; or a revision id',
  restore: '`strata backups list` shows the backup ids: `strata restore <id>`, or the path of a backup file',
  convert:
    "name the other tool's migrations directory: `strata convert prisma/migrations`, `strata convert db/migrations` (dbmate), ...",
}

/**
 * Gives every command's usage errors (a missing argument, an unknown option) a hint
 * line: the targets of a migration command, else the command's help, which has
 * examples; an Alembic-only option gets what to do instead.
 */
export function addUsageHints(command: Command, path: readonly string[] = []): void {
  for (const sub of command.commands) {
    const name = [...path, sub.name()]
    sub.configureOutput({ outputError: (text, write) => write(withUsageHint(text, name)) })
    addUsageHints(sub, name)
  }
}

function withUsageHint(text: string, command: readonly string[]): string {
  const alembic = withAlembicHint(text)
  if (alembic !== text) return alembic
  const target =
    /missing required argument/.test(text) && command.length === 1 ? TARGET_HINTS[command[0]!] : undefined
  const hint = target ?? `\`strata ${command.join(' ')} --help\` shows its arguments, options and examples`
  return `${text.trimEnd()}\n  hint: ${hint}\n`
}
