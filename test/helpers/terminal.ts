import { spawn } from 'node:child_process'
import { CLI } from './cli.js'

/**
 * Runs the CLI with a terminal on stdin and stdout (util-linux `script` allocates a
 * pseudo-terminal), typing `input`: how a person at a prompt answers it. The output
 * is the terminal's, stdout and stderr together, with CRLF line ends.
 */
export function runInTerminal(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input: string },
): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const key of Object.keys(env)) if (key.startsWith('PG') || key === 'DATABASE_URL') delete env[key]
  Object.assign(env, options.env)
  const command = [process.execPath, CLI, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: options.cwd,
      env,
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, output })
    })
    child.stdin.end(options.input)
  })
}
