import type { ResolvedConfig } from '../config/types.js'
import { type ConnectionSpec, serverAddressLabel } from './connection-spec.js'
import type { DatabaseTarget } from './resolve-target.js'

/**
 * The connection spec of a target. For the embedded development server this starts
 * it when needed, and says so in one line through `notice`. A connection string of
 * several hosts is settled here, once, on the host that suits it: everything the
 * command runs (its sessions, pg_dump, psql) then goes to that one server.
 */
export async function openTarget(
  target: DatabaseTarget,
  config: ResolvedConfig,
  notice: (line: string) => void,
): Promise<ConnectionSpec> {
  if (target.spec !== undefined) {
    const { hosts, targetSessionAttrs } = target.spec
    if (hosts === undefined && (targetSessionAttrs ?? 'any') === 'any') return target.spec
    const { connect } = await import('./connect.js')
    const connection = await connect(target.spec)
    await connection.close()
    notice(
      `Using ${serverAddressLabel(connection.spec)}${hosts === undefined ? '' : `, the first of ${hosts.length} hosts`} that ${targetSessionAttrs === undefined || targetSessionAttrs === 'any' ? 'answered' : `is ${targetSessionAttrs}`}`,
    )
    return connection.spec
  }
  const { ensureDevServer } = await import('../dev/dev-server.js')
  const { spec, started, url } = await ensureDevServer(config)
  notice(
    started
      ? `No database configured: started the embedded development server, ${url} (stop it with \`strata dev stop\`)`
      : `No database configured: using the embedded development server, ${url}`,
  )
  return spec
}
