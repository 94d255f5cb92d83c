import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

const root = process.env.STRATA_TEST_ROOT ?? process.cwd()
export const CLI = join(root, 'dist', 'strata.cjs')

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the compiled `strata` CLI as a user would. The environment is cleaned of
 * database variables so that only what the test passes selects a database.
 */
export function runCli(
  args: readonly string[],
  options: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    input?: string
    timeoutMs?: number
    /** The running CLI process, e.g. to signal it. */
    onSpawn?: (child: ChildProcess) => void
  } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const key of Object.keys(env)) if (key.startsWith('PG') || key === 'DATABASE_URL') delete env[key]
  Object.assign(env, options.env)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? root, env })
    options.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}
