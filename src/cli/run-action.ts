import type { Command } from 'commander'
import { CommandContext } from './context.js'
import { exitCodeFor, interruption } from './interrupts.js'
import { reportError } from './report-error.js'

/**
 * Wraps a command body: builds its context, turns thrown errors into the CLI's error
 * format and exit code, and sets the exit code the body returns (default 0).
 */
export function action<Args extends unknown[]>(
  body: (context: CommandContext, ...args: Args) => Promise<unknown>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command
    const context = CommandContext.from(command)
    try {
      if (context.options.allDatabases) {
        const { runForEachDatabase } = await import('./all-databases.js')
        process.exitCode = await runForEachDatabase(command, context, (each) =>
          body(each, ...(args.slice(0, -1) as Args)),
        )
        return
      }
      const code = await body(context, ...(args.slice(0, -1) as Args))
      process.exitCode = typeof code === 'number' ? code : 0
    } catch (error) {
      process.exitCode = reportError(error, {
        debug: Boolean(context.options.debug),
        json: Boolean(context.options.json),
      })
    }
    // Interrupted: the failure it caused was reported above; the code says why it stopped.
    const signal = interruption()
    if (signal !== undefined) process.exitCode = exitCodeFor(signal)
  }
}
