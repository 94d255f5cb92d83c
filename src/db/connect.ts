import type { ConnectionOptions } from 'node:tls'
import pg from 'pg'
import { trackOpenConnection } from './cancellable-sessions.js'
import { describeConnectionFailure, MINIMUM_SERVER_VERSION, serverTooOld } from './connection-errors.js'
import type { ConnectionSpec } from './connection-spec.js'
import { connectToSuitableHost } from './host-list.js'
import { tlsAttempts } from './tls-options.js'

/** An open connection with the facts every command needs about its server. */
export interface Connection {
  readonly client: pg.Client
  readonly spec: ConnectionSpec
  /** `server_version_num`, e.g. 160004. */
  readonly serverVersionNum: number
  /** Whether the session is encrypted. */
  readonly tls: boolean
  close(): Promise<void>
}

/** The node-postgres settings for one attempt. Exposed for tools that pool connections. */
export function toClientConfig(spec: ConnectionSpec, ssl: false | ConnectionOptions): pg.ClientConfig {
  return {
    host: spec.host,
    port: spec.port,
    user: spec.user,
    // Found by the spec in the URL, PGPASSWORD, or a pgpass file (connection-spec), as
    // libpq would; node-postgres' own pgpass reading is deprecated and warns.
    password: spec.password,
    database: spec.database,
    ssl,
    connectionTimeoutMillis: Math.round(spec.connectTimeout * 1000),
    application_name: spec.applicationName,
    ...(spec.options === undefined ? {} : { options: spec.options }),
  }
}

function isTlsNegotiationRefusal(error: unknown): boolean {
  const message = (error as Error)?.message ?? ''
  const code = (error as { code?: string })?.code
  return (
    /does not support SSL/i.test(message) ||
    (code === '28000' && /no encryption|SSL off|SSL encryption/i.test(message))
  )
}

/**
 * Opens a connection, following libpq's `sslmode` semantics, and checks that the
 * server is recent enough. Failures become one `ConnectionError` with a remedy. A spec
 * of several hosts settles on the first that suits its `target_session_attrs`; the
 * connection's `spec` is then that host's.
 *
 * @example
 * const connection = await connect(parseConnectionString(process.env.DATABASE_URL!))
 * try { await connection.client.query('SELECT 1') } finally { await connection.close() }
 */
export async function connect(spec: ConnectionSpec): Promise<Connection> {
  if (spec.hosts === undefined && (spec.targetSessionAttrs ?? 'any') === 'any') return connectToHost(spec)
  return connectToSuitableHost(spec, connectToHost)
}

async function connectToHost(spec: ConnectionSpec): Promise<Connection> {
  const attempts = tlsAttempts(spec)
  let lastError: unknown
  for (const [index, ssl] of attempts.entries()) {
    const client = new pg.Client(toClientConfig(spec, ssl))
    // A server that goes away later emits 'error' on the client; without a listener
    // Node would crash the process. The failing query reports it instead.
    client.on('error', () => undefined)
    // The server reports its version when the session starts: no query needed for it.
    let reported: number | undefined
    ;(client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
      'parameterStatus',
      (message: { parameterName: string; parameterValue: string }) => {
        if (message.parameterName === 'server_version') reported = versionNumber(message.parameterValue)
      },
    )
    try {
      await client.connect()
    } catch (error) {
      lastError = error
      await client.end().catch(() => undefined)
      if (index < attempts.length - 1 && isTlsNegotiationRefusal(error)) continue
      throw describeConnectionFailure(error, spec)
    }
    const serverVersionNum = reported ?? (await readServerVersionNum(client))
    if (serverVersionNum < MINIMUM_SERVER_VERSION * 10000) {
      await client.end().catch(() => undefined)
      throw serverTooOld(serverVersionNum, spec)
    }
    const untrack = trackOpenConnection(spec, client)
    client.once('end', untrack)
    return {
      client,
      spec,
      serverVersionNum,
      tls: ssl !== false,
      close: () => {
        untrack()
        return client.end().catch(() => undefined)
      },
    }
  }
  throw describeConnectionFailure(lastError, spec)
}

/** Runs `work` on a fresh connection and always closes it. */
export async function withConnection<T>(
  spec: ConnectionSpec,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(spec)
  try {
    return await work(connection)
  } finally {
    await connection.close()
  }
}

/**
 * `server_version` as `server_version_num` would say it: "16.4" → 160004,
 * "9.6.24" → 90624, "17beta1" → 170000; undefined when it is not a version.
 */
export function versionNumber(serverVersion: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(serverVersion)
  if (match === null) return undefined
  const [major, minor, patch] = [match[1], match[2], match[3]].map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
  ]
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch
}

/** The server's `server_version_num` (160004), asked of the session itself. */
export async function readServerVersionNum(client: pg.ClientBase): Promise<number> {
  return (await client.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v"))
    .rows[0]!.v
}
