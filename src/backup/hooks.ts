import type { ResolvedConfig } from '../config/types.js'
import { OperationFailedError } from '../errors/index.js'
import { runShellCommand } from '../util/run-shell-command.js'
import { lastLines } from './run-program.js'

/**
 * Runs a configured hook (`backup.hooks.stopServices`, ...) through the shell, in the
 * config's directory. A hook that fails stops the restore at that point.
 */
export async function runHook(name: string, command: string, cwd: string): Promise<void> {
  const { code, output } = await runShellCommand(command, { cwd })
  if (code !== 0)
    throw new OperationFailedError(
      `the ${name} hook failed (exit ${code}): ${lastLines(output) || command}`,
      {
        hint: `fix backup.hooks.${name} in the config, or run it by hand`,
      },
    )
}

const HOOK_LINES = {
  stopServices: ['Stopping services...', 'Services stopped'],
  startServices: ['Restarting services...', 'Services restarted'],
} as const

/**
 * Runs `backup.hooks.stopServices` or `startServices` (the guide's `docker-compose stop`
 * / `up -d`) with its before and after lines. Returns false, running nothing, when the
 * hook is not configured.
 */
export async function runServiceHook(
  config: ResolvedConfig,
  hook: 'stopServices' | 'startServices',
  onLine: (line: string) => void,
): Promise<boolean> {
  const command = config.backup.hooks[hook]
  if (command === undefined) return false
  const [before, after] = HOOK_LINES[hook]
  onLine(before)
  await runHook(hook, command, config.rootDir)
  onLine(after)
  return true
}
