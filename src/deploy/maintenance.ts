import { runServiceHook } from '../backup/hooks.js'
import type { ResolvedConfig } from '../config/types.js'

/**
 * The guide's maintenance mode (`docker-compose stop` / `up -d`) for a deploy with a
 * migration that needs downtime: the configured `backup.hooks` command, when there is
 * one. Without one, the line says that nothing was stopped.
 */
export async function runMaintenanceHook(
  config: ResolvedConfig,
  hook: 'stopServices' | 'startServices',
  onLine: (line: string) => void,
): Promise<void> {
  if (await runServiceHook(config, hook, onLine)) return
  onLine(
    `No backup.hooks.${hook} configured: ${hook === 'stopServices' ? 'services keep running' : 'nothing to restart'}`,
  )
}
