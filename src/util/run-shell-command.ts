import { spawn } from 'node:child_process'
import { trackChild } from './running-children.js'

export interface ShellRun {
  readonly code: number | null
  /** Set when the command was stopped by a signal (`timeoutMs` sends SIGTERM). */
  readonly signal: NodeJS.Signals | null
  /** stdout and stderr together, as a person would have seen them. */
  readonly output: string
}

/**
 * Runs a command the user configured (a restore hook, a deploy notification) through
 * `/bin/sh -c` in `cwd`: tracked, so that Ctrl-C stops it too, with its output
 * collected for the message when it fails. `input` goes to its stdin (none: stdin
 * closed); `timeoutMs` stops one that runs too long.
 */
export function runShellCommand(
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env === undefined ? {} : { env: options.env }),
    })
    trackChild(child)
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    if (options.input !== undefined) {
      // A command that does not read its stdin closes the pipe: not a failure.
      child.stdin!.on('error', () => undefined)
      child.stdin!.end(options.input)
    }
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}
