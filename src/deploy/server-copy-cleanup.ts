import { pruneServerCopies } from '../backup/server-copy.js'
import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'

/**
 * After a successful deploy backed up by a server copy, drops the older copies beyond
 * `deploy.keepServerCopies`, so that copies do not fill the server's disk. A failure to
 * drop one is reported, not fatal: the deploy itself succeeded.
 */
export async function serverCopyCleanup(
  config: ResolvedConfig,
  spec: ConnectionSpec,
  onLine: (line: string) => void,
): Promise<void> {
  try {
    const dropped = await pruneServerCopies(spec, config.deploy.keepServerCopies)
    if (dropped.length > 0)
      onLine(`Dropped older server copies (keeping ${config.deploy.keepServerCopies}): ${dropped.join(', ')}`)
  } catch (error) {
    onLine(`Could not drop older server copies: ${(error as Error).message}`)
  }
}
