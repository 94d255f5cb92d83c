import { spawn } from 'node:child_process'
import { OperationFailedError } from '../errors/index.js'
import { lastLines } from './run-program.js'

/**
 * Runs a configured hook (`backup.hooks.stopServices`, ...) through the shell, in the
 * config's directory. A hook that fails stops the restore at that point.
 */
export function runHook(name: string, command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0) resolve()
      else
        reject(
          new OperationFailedError(
            `the ${name} hook failed (exit ${code}): ${lastLines(output) || command}`,
            {
              hint: `fix backup.hooks.${name} in the config, or run it by hand`,
            },
          ),
        )
    })
  })
}
