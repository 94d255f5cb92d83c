import type { ChildProcess } from 'node:child_process'
import { basename } from 'node:path'

interface Tracked {
  readonly name: string
  /** Reads the terminal itself (psql): Ctrl-C is its own, to cancel a query. */
  readonly interactive: boolean
}

const running = new Map<ChildProcess, Tracked>()

/**
 * Records a client program or hook while it runs, so that an interrupted command can
 * stop it (see `src/cli/interrupts.ts`). A signal sent to Strata alone (a CI timeout,
 * `kill`, systemd) would otherwise leave pg_dump writing on, or pg_restore filling a
 * copy nobody will use.
 */
export function trackChild(child: ChildProcess, options: { interactive?: boolean } = {}): void {
  if (child.pid === undefined) return // never started: its 'error' event says why
  running.set(child, { name: basename(child.spawnfile), interactive: Boolean(options.interactive) })
  child.once('exit', () => running.delete(child))
}

/** The programs running now, by name (`pg_dump`, `pg_restore`, `sh`). */
export function runningChildren(): { names: string[]; interactive: boolean } {
  const tracked = [...running.values()]
  return {
    names: [...new Set(tracked.map((child) => child.name))],
    interactive: tracked.some((child) => child.interactive),
  }
}

/** Stops every running child; the code waiting for each sees it fail and cleans up. */
export function stopChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of running.keys()) child.kill(signal)
}
