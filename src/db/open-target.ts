import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from './connection-spec.js'
import type { DatabaseTarget } from './resolve-target.js'

/**
 * The connection spec of a target. For the embedded development server this starts
 * it when needed, and says so in one line through `notice`.
 */
export async function openTarget(
  target: DatabaseTarget,
  config: ResolvedConfig,
  notice: (line: string) => void,
): Promise<ConnectionSpec> {
  if (target.spec !== undefined) return target.spec
  const { ensureDevServer } = await import('../dev/dev-server.js')
  const { spec, started, url } = await ensureDevServer(config)
  notice(
    started
      ? `No database configured: started the embedded development server, ${url} (stop it with \`strata dev stop\`)`
      : `No database configured: using the embedded development server, ${url}`,
  )
  return spec
}
