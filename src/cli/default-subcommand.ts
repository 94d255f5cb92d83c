import type { Command } from 'commander'
import { UsageError } from '../errors/index.js'
import { didYouMean } from '../util/closest-match.js'
import { action } from './run-action.js'

/**
 * `strata diagnose` alone runs `strata diagnose all`, `strata backups` runs `backups
 * list`: what a user typing the group's name expects. A word that names no subcommand
 * is refused as such (commander's own default command would call it "too many
 * arguments"). Call after the subcommands are defined.
 */
export function runByDefault(group: Command, subcommand: string): void {
  group
    .argument('[command]', `one of the commands below (default: ${subcommand})`)
    .usage('[options] [command]') // commander would name [command] twice
    .action(
      action(async (_context, word: string | undefined) => {
        if (word !== undefined) {
          const names = group.commands.map((command) => command.name())
          throw new UsageError(
            `unknown command "${word}" for strata ${group.name()}.${didYouMean(word, names)}`,
            {
              hint: `its commands: ${names.join(', ')}; \`strata ${group.name()} --help\` describes them`,
            },
          )
        }
        await group.parseAsync([subcommand], { from: 'user' })
        return process.exitCode // the subcommand's own
      }),
    )
}
