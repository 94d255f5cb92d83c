import './node-globals.js'
import { CommanderError } from 'commander'
import { installInterruptHandling } from './interrupts.js'
import { buildProgram } from './program.js'
import { passArgumentsToPsql } from './psql-pass-through.js'

/** Exit codes of commander's own failures: usage errors are 2, help and version 0. */
function exitCodeOf(error: CommanderError): number {
  if (['commander.helpDisplayed', 'commander.version'].includes(error.code)) return 0
  if (error.code === 'commander.help') return 2 // `strata` alone: help on stderr, as a usage error
  if (error.code === 'commander.executeSubCommandAsync') return error.exitCode
  return 2
}

/** Runs `strata` with the process's arguments; the exit code is left in process.exitCode. */
export async function runCli(argv: readonly string[]): Promise<void> {
  // `strata history | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  installInterruptHandling((line) => process.stderr.write(`${line}\n`))
  try {
    const program = buildProgram()
    await program.parseAsync(passArgumentsToPsql(program, argv))
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = exitCodeOf(error)
    } else {
      // Errors inside commands are reported by their action wrapper; reaching here is a bug.
      process.stderr.write(`error: ${(error as Error)?.stack ?? error}\n`)
      process.exitCode = 1
    }
  }
}
