import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { trackChild } from '../util/running-children.js'

export interface ProgramRun {
  readonly code: number
  /** The program's stderr, last 64 kB. */
  readonly stderr: string
}

/**
 * Runs a client program. `stdin`/`stdout` connect streams when given (a gunzip into
 * psql, pg_dump into gzip); stderr is collected for the error message.
 */
export function runProgram(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  streams: { stdin?: Readable; stdout?: Writable } = {},
): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env,
      stdio: [streams.stdin ? 'pipe' : 'ignore', streams.stdout ? 'pipe' : 'ignore', 'pipe'],
    })
    trackChild(child)
    let stderr = ''
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-65536)
    })
    if (streams.stdin && child.stdin) {
      streams.stdin.pipe(child.stdin)
      // psql stops reading on ON_ERROR_STOP: the broken pipe is its exit code's business.
      child.stdin.on('error', () => undefined)
      streams.stdin.on('error', (error) => child.kill() && reject(error))
    }
    const stdoutDone =
      streams.stdout && child.stdout
        ? new Promise<void>((done, fail) => {
            child.stdout!.pipe(streams.stdout!)
            streams.stdout!.once('finish', done)
            // Where the output cannot go (a full disk), the program is stopped: left
            // writing into a pipe nobody reads, it would wait forever.
            streams.stdout!.once('error', (error) => {
              child.kill()
              fail(error)
            })
          })
        : Promise.resolve()
    stdoutDone.catch(() => undefined) // read when the program has closed, below
    child.once('error', reject)
    child.once('close', (code) => {
      // A program that stopped early (psql at its first error) leaves its input stream
      // part-read: destroyed, it lets go of whatever feeds it (a pg_restore child is
      // stopped with it), and the command can end.
      if (streams.stdin && !streams.stdin.readableEnded) {
        streams.stdin.unpipe()
        streams.stdin.destroy()
      }
      stdoutDone.then(
        () => resolve({ code: code ?? 1, stderr }),
        (error) => reject(error),
      )
    })
  })
}

/** The last meaningful lines of a program's stderr, for one error message. */
export function lastLines(stderr: string, count = 3): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join('; ')
}
