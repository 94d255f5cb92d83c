import type pg from 'pg'
import { ConnectionError } from '../errors/index.js'
import {
  type ConnectionSpec,
  type ServerAddress,
  serverAddressLabel,
  type TargetSessionAttrs,
} from './connection-spec.js'

// A high-availability cluster is often reached through one connection string that lists
// every node (`postgresql://app@db1:5432,db2:5432/app?target_session_attrs=read-write`):
// libpq tries them in order and settles on the first that suits. Strata does the same,
// so that the string that serves the application serves migrations and backups.

/** What a session says of its server, for `target_session_attrs`. */
interface SessionRole {
  readonly standby: boolean
  readonly readOnly: boolean
}

interface HostConnection {
  readonly client: pg.Client
  close(): Promise<void>
}

/**
 * Connects to the first of `spec.hosts` that answers and suits `spec.targetSessionAttrs`
 * (`prefer-standby`: a standby, else any), as libpq does. `connectToHost` opens one
 * connection to a spec of one host; the connection returned is its connection.
 *
 * @throws ConnectionError naming each host and why it was passed over
 */
export async function connectToSuitableHost<T extends HostConnection>(
  spec: ConnectionSpec,
  connectToHost: (single: ConnectionSpec) => Promise<T>,
): Promise<T> {
  const wanted = spec.targetSessionAttrs ?? 'any'
  const addresses = spec.hosts ?? [{ host: spec.host, port: spec.port }]
  const passedOver = new Map<string, string>()
  const failures: ConnectionError[] = []
  for (const pass of wanted === 'prefer-standby' ? (['standby', 'any'] as const) : [wanted]) {
    for (const address of addresses) {
      const label = serverAddressLabel(address)
      if (failures.some((failure) => failure.where === label)) continue
      const single: ConnectionSpec = Object.freeze({
        ...spec,
        host: address.host,
        port: address.port,
        hosts: undefined,
        targetSessionAttrs: undefined,
      })
      let connection: T
      try {
        connection = await connectToHost(single)
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error
        failures.push(new ConnectionError(error.kind, error.message, { where: label, hint: error.hint }))
        continue
      }
      if (pass === 'any') return connection
      const role = await sessionRole(connection.client)
      if (suits(pass, role)) return connection
      passedOver.set(label, describeRole(role))
      await connection.close()
    }
  }
  throw noSuitableHost(wanted, addresses, passedOver, failures)
}

async function sessionRole(client: pg.Client): Promise<SessionRole> {
  const result = await client.query<{ standby: boolean; read_only: string }>(
    "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only",
  )
  const row = result.rows[0]!
  return { standby: row.standby, readOnly: row.read_only === 'on' }
}

function suits(wanted: Exclude<TargetSessionAttrs, 'prefer-standby'>, role: SessionRole): boolean {
  switch (wanted) {
    case 'read-write':
      return !role.readOnly
    case 'read-only':
      return role.readOnly
    case 'primary':
      return !role.standby
    case 'standby':
      return role.standby
    default:
      return true
  }
}

function describeRole(role: SessionRole): string {
  if (role.standby) return 'a standby (read-only)'
  return role.readOnly
    ? 'a primary whose sessions are read-only (default_transaction_read_only)'
    : 'a primary'
}

const WANTED_WORDS: Readonly<Record<TargetSessionAttrs, string>> = {
  any: 'reachable',
  'read-write': 'writable',
  'read-only': 'read-only',
  primary: 'a primary',
  standby: 'a standby',
  'prefer-standby': 'reachable',
}

function noSuitableHost(
  wanted: TargetSessionAttrs,
  addresses: readonly ServerAddress[],
  passedOver: ReadonlyMap<string, string>,
  failures: readonly ConnectionError[],
): ConnectionError {
  const reasons = addresses.map((address) => {
    const label = serverAddressLabel(address)
    const failure = failures.find((candidate) => candidate.where === label)
    if (failure === undefined) return `  ${label}: is ${passedOver.get(label) ?? 'not tried'}`
    return `  ${failure.message.includes(label) ? failure.message : `${label}: ${failure.message}`}`
  })
  const none = failures.length === addresses.length
  const first = failures[0]
  const oneKind = failures.every((failure) => failure.kind === first?.kind)
  return new ConnectionError(
    none && first !== undefined ? first.kind : 'other',
    `${none ? 'no host of the connection string could be reached' : `no host of the connection string is ${WANTED_WORDS[wanted]}`}:\n${reasons.join('\n')}`,
    {
      where: addresses.map(serverAddressLabel).join(','),
      hint: none
        ? ((oneKind ? first?.hint : undefined) ??
          'fix the host that should serve: its line above says why it failed')
        : `target_session_attrs=${wanted} asks for ${wanted === 'read-write' || wanted === 'primary' ? "the cluster's primary" : `a ${wanted} server`}; add the host that is one, or change target_session_attrs`,
    },
  )
}
