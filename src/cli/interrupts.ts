import { constants } from 'node:os'
import { cancelOpenConnections, cancelSessions, runningSessions } from '../db/cancellable-sessions.js'
import { dropScratchDatabasesLeft } from '../db/scratch-database.js'
import { abruptExitNotes } from '../util/exit-notes.js'
import { runningChildren, stopChildren } from '../util/running-children.js'

let interruptedBy: NodeJS.Signals | undefined
let takenOver: { readonly handler: () => void; readonly signals: readonly NodeJS.Signals[] } | undefined

/**
 * Ctrl-C or a SIGTERM while pg_dump, pg_restore, psql or a hook runs, or while a
 * migration runs: the programs are stopped, the migration's running statement is
 * cancelled (nothing more is sent after it), and the command's own failure path does the
 * cleaning it does for any failure (the partial archive removed, the restore's copy named,
 * the transaction rolled back and reported); the exit code is then 130 (SIGINT) or 143
 * (SIGTERM). With neither running, or on a second signal, Strata stops at once, once it
 * has asked the server to cancel whatever its connections still run. Installed once, by the CLI.
 */
export function installInterruptHandling(notice: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const children = runningChildren()
      // psql in the foreground cancels its query on Ctrl-C and goes on: so does Strata.
      if (signal === 'SIGINT' && children.interactive) return
      if (takenOver?.signals.includes(signal) && interruptedBy === undefined) {
        interruptedBy = signal
        takenOver.handler()
        return
      }
      const sessions = runningSessions()
      if (interruptedBy !== undefined || (sessions.length === 0 && children.names.length === 0)) {
        // Quitting at once still cancels what the connections run (a fleet's migrations,
        // which the first Ctrl-C let finish; a long read): the server would go on with it
        // after Strata is gone, committing a migration, holding a read's locks.
        // And drops the scratch databases it made, which no failure path will drop now,
        // and says what the command had left half-way (a restore's partial copy).
        for (const line of abruptExitNotes()) notice(`interrupted (${signal}): ${line}`)
        void cancelOpenConnections()
          .then(() => dropScratchDatabasesLeft(5000))
          .finally(() => process.exit(exitCodeFor(signal)))
        return
      }
      interruptedBy = signal
      const stopping = [
        ...(children.names.length > 0 ? [`stopping ${children.names.join(', ')}`] : []),
        ...sessions.map((what) => `cancelling ${what}'s running statement (its transaction rolls back)`),
      ]
      notice(
        `interrupted (${signal}): ${stopping.join(' and ')} and cleaning up; ${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} quits at once`,
      )
      stopChildren('SIGTERM')
      void cancelSessions()
      // A program that ignores SIGTERM must not keep Strata waiting for ever.
      setTimeout(() => process.exit(exitCodeFor(signal)), 30_000).unref()
    })
  }
}

/**
 * A command that stops gracefully itself takes the first signal over; a second one
 * still quits at once. A tenant fleet, which lets running tenants finish, takes Ctrl-C
 * only (a CI timeout's SIGTERM is followed by SIGKILL before they could); a deploy's
 * watch window, which ends at once, takes SIGTERM too.
 * @returns a function that gives it back
 */
export function takeOverInterrupt(
  handler: () => void,
  signals: readonly NodeJS.Signals[] = ['SIGINT'],
): () => void {
  const taken = { handler, signals }
  takenOver = taken
  return () => {
    if (takenOver === taken) takenOver = undefined
  }
}

/** The signal that interrupted the command, if one did. */
export function interruption(): NodeJS.Signals | undefined {
  return interruptedBy
}

/** The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal]
}
