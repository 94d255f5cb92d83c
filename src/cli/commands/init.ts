import type { Command } from 'commander'
import { mark } from '../output.js'
import { action } from '../run-action.js'

/** `strata init [DIR]` — scaffold a config and the migrations directory. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create strata.config.ts and migrations/versions/ (never overwrites)')
    .argument('[dir]', 'project directory', '.')
    .action(
      action(async (context, dir: string) => {
        const { initProject } = await import('../../config/init-project.js')
        const result = initProject(dir)
        for (const file of result.created) context.output.line(`${mark.ok()} created ${file}`)
        context.output.line(
          'next: strata revision -m "create users"   (edit strata.config.ts to add databases)',
        )
        context.output.data(result)
      }),
    )
}
