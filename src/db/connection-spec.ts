import { userInfo } from 'node:os'
import type { SslMode } from '../config/types.js'
import { InvalidInputError } from '../errors/index.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { serviceKeywords } from './pg-service.js'
import { lookupDefaultPgpass, lookupPgpass } from './pgpass.js'

/**
 * Everything needed to open one connection, in libpq's vocabulary. Built from a URL,
 * a keyword/value string, a config entry or the `PG*` variables; turned into a
 * node-postgres config by `toClientConfig`.
 */
export interface ConnectionSpec {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string | undefined
  readonly database: string
  /** libpq's `sslmode`; undefined means libpq's default, `prefer`. */
  readonly sslmode: SslMode | undefined
  readonly sslrootcert: string | undefined
  readonly sslcert: string | undefined
  readonly sslkey: string | undefined
  /** Seconds. */
  readonly connectTimeout: number
  readonly applicationName: string
  /** libpq `options`, e.g. `-c search_path=app`. */
  readonly options: string | undefined
  /**
   * Several servers (`host=a,b`, `postgresql://a:5432,b:5433/db`), tried in order as libpq
   * tries them; undefined for one. `host` and `port` are the first until a connection
   * settles on one of them (connect returns the spec of the one it settled on).
   */
  readonly hosts?: readonly ServerAddress[]
  /** libpq's `target_session_attrs` (default `any`): which of the hosts to settle on. */
  readonly targetSessionAttrs?: TargetSessionAttrs
  /**
   * The URL says it goes through PgBouncer (Prisma's `pgbouncer=true`): a pool in
   * transaction mode, through which a migration's session lock protects nothing.
   */
  readonly throughPgbouncer?: true
}

export interface ServerAddress {
  readonly host: string
  readonly port: number
}

/** `db1:5432`, or `socket /var/run/postgresql` for a Unix socket directory: a server as messages name it. */
export function serverAddressLabel(address: ServerAddress): string {
  return address.host.startsWith('/') ? `socket ${address.host}` : `${address.host}:${address.port}`
}

/** libpq's `target_session_attrs`: `read-write` (or `primary`) finds the primary of a cluster. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby'

const TARGET_SESSION_ATTRS: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
]

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']

export interface SpecDefaults {
  env?: NodeJS.ProcessEnv
  connectTimeout?: number
  applicationName?: string
}

type Fields = Partial<
  Record<keyof ConnectionSpec | 'passfile' | 'service' | 'schema' | 'pgbouncer', string | number | undefined>
>

/**
 * True for a PostgreSQL URL: `postgresql://`, `postgres://`, or SQLAlchemy's
 * `postgresql+psycopg2://` (alembic.ini, an Alembic project's env), whose driver
 * suffix means nothing here.
 */
export function isPostgresUrl(text: string): boolean {
  return /^\s*postgres(?:ql)?(?:\+\w+)?:\/\//i.test(text)
}

/**
 * Parses `postgresql://user:pass@host:5433/db?sslmode=require` or libpq's
 * `host=... port=... dbname=...`. Missing parts fall back to the `PG*` variables
 * and then libpq's defaults, as psql does.
 */
export function parseConnectionString(text: string, defaults: SpecDefaults = {}): ConnectionSpec {
  const trimmed = text.trim().replace(/^(postgres(?:ql)?)\+\w+:\/\//i, '$1://')
  const fields = isPostgresUrl(trimmed) ? fieldsFromUrl(trimmed) : fieldsFromKeywords(trimmed)
  return buildSpec(fields, defaults)
}

/** A spec from the libpq `PG*` environment variables alone. */
export function specFromEnv(defaults: SpecDefaults = {}): ConnectionSpec {
  return buildSpec({}, defaults)
}

/** A spec from explicit fields (a config entry), completed from the environment. */
export function specFromFields(fields: Fields, defaults: SpecDefaults = {}): ConnectionSpec {
  return buildSpec(fields, defaults)
}

// The authority of a libpq URL may list several hosts (`a:5432,b:5433`) or none
// (`postgresql://app@/db?host=/var/run/postgresql`); the URL class takes neither, so it
// is read here and the URL class parses the rest.
const URL_PARTS = /^(postgres(?:ql)?:\/\/)([^/?#]*)([\s\S]*)$/i

/**
 * `postgresql://app:pa#ss@db/app`: a `#`, `/` or `?` in the password ends the host part
 * early, and the URL would name host "ss" or none, a failure far from its cause. An `@`
 * and a host after such a character, outside any `key=value`, is that mistake.
 */
function refuseUnencodedPassword(afterAuthority: string): void {
  if (/^[#/?][^@=&]*@[^/?#@=&]+(?:[/?#]|$)/.test(afterAuthority))
    throw new InvalidInputError(
      `the connection URL's password (or user name) holds "${afterAuthority[0]}", which ends the user and password there`,
      {
        hint: 'percent-encode it in the URL: # → %23, / → %2F, ? → %3F, @ → %40 (or give the password in PGPASSWORD or ~/.pgpass)',
      },
    )
}

function fieldsFromUrl(text: string): Fields {
  const parts = URL_PARTS.exec(text)
  const authority = parts?.[2] ?? ''
  refuseUnencodedPassword(parts?.[3] ?? '')
  const at = authority.lastIndexOf('@')
  const hostPart = authority.slice(at + 1)
  const ownHosts = parts !== null && (hostPart === '' || hostPart.startsWith(':') || hostPart.includes(','))
  const hostList = ownHosts ? hostPart.split(',').map(splitHostPort) : undefined
  let url: URL
  try {
    url = new URL(ownHosts ? `${parts[1]}${authority.slice(0, at + 1)}placeholder${parts[3]}` : text)
  } catch {
    // The URL class refuses a port past 65535 as it refuses a broken URL: say which it is.
    const port = /:(\d+)$/.exec(hostPart)?.[1]
    if (port !== undefined && Number(port) > 65535)
      throw new InvalidInputError(`the connection URL's port ${port} is not a TCP port (1 to 65535)`, {
        hint: 'PostgreSQL listens on 5432 by default (the development server on 5433)',
      })
    throw new InvalidInputError(`invalid connection URL ${maskSecrets(text)}`, {
      hint: 'expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE; percent-encode special characters in the password',
    })
  }
  const query = url.searchParams
  const fields: Fields = {
    host:
      hostList !== undefined
        ? hostList.map((entry) => decodePart(entry.host, 'host')).join(',') || undefined
        : url.hostname
          ? decodePart(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host')
          : undefined,
    port:
      hostList !== undefined
        ? hostList.map((entry) => entry.port).join(',') || undefined
        : url.port || undefined,
    user: url.username ? decodePart(url.username, 'user name') : undefined,
    password: url.password ? decodePart(url.password, 'password') : undefined,
    database: url.pathname.length > 1 ? decodePart(url.pathname.slice(1), 'database name') : undefined,
  }
  for (const [key, value] of query) assignKeyword(fields, key, value)
  return fields
}

/**
 * A percent-encoded part of a URL. A `%` not followed by two hex digits (a password
 * written as it is, `s3cr%t`) is refused as libpq refuses it, without showing the part:
 * it may be the password.
 */
function decodePart(value: string, what: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw new InvalidInputError(
      `the connection URL's ${what} is not valid percent-encoding: a % must be followed by two hex digits`,
      {
        hint: 'percent-encode special characters in the URL: % as %25, @ as %40, : as %3A, / as %2F, # as %23 (encodeURIComponent does it)',
      },
    )
  }
}

/** `db1:5432` → db1 and 5432; `[::1]:5433` → ::1 and 5433; `db1` → db1 and no port. */
function splitHostPort(entry: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ?? '' }
  const colon = entry.lastIndexOf(':')
  return colon === -1
    ? { host: entry, port: '' }
    : { host: entry.slice(0, colon), port: entry.slice(colon + 1) }
}

function fieldsFromKeywords(text: string): Fields {
  const fields: Fields = {}
  const pattern = /(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g
  let matched = false
  for (const match of text.matchAll(pattern)) {
    matched = true
    const raw = match[2]!
    const value = raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
    assignKeyword(fields, match[1]!, value)
  }
  if (!matched) {
    // Most often `${DATABASE_URL:-}` with the variable unset, or set to nothing.
    if (text.trim() === '')
      throw new InvalidInputError('the connection string is empty', {
        hint: 'give a URL (postgresql://USER@HOST:PORT/DATABASE); when it comes from an environment variable, that variable is set but empty',
      })
    // Another database's URL (mysql://, sqlite://, jdbc:postgresql://...).
    const trimmed = text.trim()
    const scheme = /^jdbc:postgres/i.test(trimmed) ? 'jdbc' : /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]
    if (scheme !== undefined && !/^postgres(ql)?$/i.test(scheme))
      throw new InvalidInputError(`${maskUnparsed(text)} is a ${scheme}: URL, not a PostgreSQL one`, {
        hint:
          scheme.toLowerCase() === 'jdbc'
            ? `drop the jdbc: prefix: ${maskUnparsed(text.trim().replace(/^jdbc:/i, ''))}`
            : 'give a postgresql:// URL (postgresql://USER@HOST:PORT/DATABASE) or libpq keywords (host=... dbname=...)',
      })
    // `host:port/db` or `user@host/db`, the URL without its scheme (as JDBC users write it).
    const schemeless = /^[^\s/=]+(?::\d+)?\/[^\s/=]+$/.test(text.trim())
    throw new InvalidInputError(`invalid connection string ${maskUnparsed(text)}`, {
      hint: schemeless
        ? `a URL starts with its scheme: ${maskUnparsed(`postgresql://${text.trim()}`)}`
        : 'give a URL (postgresql://USER@HOST:PORT/DATABASE) or libpq keywords (host=... port=... dbname=...)',
    })
  }
  return fields
}

/**
 * A connection string that could not be read, fit to print: `user:secret@host/db`
 * without its scheme holds a password that maskSecrets' URL pattern does not see.
 */
function maskUnparsed(text: string): string {
  return maskSecrets(text.includes('://') ? text : text.replace(/^([^:@\s]*):(\S*)@/, '$1:***@'))
}

function assignKeyword(fields: Fields, key: string, value: string): void {
  switch (key) {
    case 'host':
    case 'port':
    case 'user':
    case 'password':
    case 'sslmode':
    case 'sslrootcert':
    case 'sslcert':
    case 'sslkey':
    case 'options':
    case 'passfile':
    case 'service':
      fields[key] = value
      return
    case 'dbname':
      fields.database = value
      return
    case 'connect_timeout':
      fields.connectTimeout = value
      return
    case 'application_name':
      fields.applicationName = value
      return
    case 'target_session_attrs':
      fields.targetSessionAttrs = value
      return
    // Prisma's URL parameters, in the DATABASE_URL a Prisma project's .env holds: its
    // `schema` is the search path of every session (the application's tables live
    // there), and `pgbouncer=true` marks a pooled URL.
    case 'schema':
      fields.schema = value
      return
    case 'pgbouncer':
      fields.pgbouncer = value
      return
    default:
      // Other libpq keywords (load_balance_hosts, ...) are accepted and ignored, as libpq
      // ignores what it does not use; an unknown one is most likely harmless.
      return
  }
}

function buildSpec(given: Fields, defaults: SpecDefaults): ConnectionSpec {
  const env = defaults.env ?? process.env
  const fields = withService(given, env)
  const pick = (value: string | number | undefined, ...fallbacks: (string | undefined)[]) => {
    if (value !== undefined && value !== '') return String(value)
    return fallbacks.find((fallback) => fallback !== undefined && fallback !== '')
  }
  const user = pick(fields.user, env.PGUSER) ?? safeOsUser()
  const addresses = serverAddresses(
    pick(fields.host, env.PGHOST) ?? 'localhost',
    pick(fields.port, env.PGPORT),
  )
  const { host, port } = addresses[0]!
  const targetSessionAttrs = pick(fields.targetSessionAttrs, env.PGTARGETSESSIONATTRS) as
    | TargetSessionAttrs
    | undefined
  if (targetSessionAttrs !== undefined && !TARGET_SESSION_ATTRS.includes(targetSessionAttrs)) {
    throw new InvalidInputError(`invalid target_session_attrs "${targetSessionAttrs}"`, {
      hint: `use one of ${TARGET_SESSION_ATTRS.join(', ')} (read-write finds the primary)`,
    })
  }
  const sslmode = pick(fields.sslmode, env.PGSSLMODE) as SslMode | undefined
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) {
    throw new InvalidInputError(`invalid sslmode "${sslmode}"`, {
      hint: `use one of ${SSL_MODES.join(', ')}`,
    })
  }
  const timeoutText = pick(fields.connectTimeout, env.PGCONNECT_TIMEOUT)
  const connectTimeout = timeoutText === undefined ? (defaults.connectTimeout ?? 10) : Number(timeoutText)
  if (!Number.isFinite(connectTimeout) || connectTimeout <= 0) {
    throw new InvalidInputError(`invalid connect_timeout "${timeoutText}"`, {
      hint: 'give a number of seconds',
    })
  }
  const database = pick(fields.database, env.PGDATABASE) ?? user
  const passfile = pick(fields.passfile)
  const password =
    pick(fields.password, env.PGPASSWORD) ??
    (passfile === undefined
      ? lookupDefaultPgpass(env, { host, port, database, user })
      : lookupPgpass(passfile, { host, port, database, user }))
  return Object.freeze({
    host,
    port,
    user,
    password,
    database,
    sslmode,
    sslrootcert: pick(fields.sslrootcert, env.PGSSLROOTCERT),
    sslcert: pick(fields.sslcert, env.PGSSLCERT),
    sslkey: pick(fields.sslkey, env.PGSSLKEY),
    connectTimeout,
    applicationName: pick(fields.applicationName, env.PGAPPNAME) ?? defaults.applicationName ?? 'strata',
    options: withSearchPath(pick(fields.options, env.PGOPTIONS), pick(fields.schema)),
    ...(addresses.length > 1 ? { hosts: Object.freeze(addresses) } : {}),
    ...(targetSessionAttrs !== undefined ? { targetSessionAttrs } : {}),
    ...(pick(fields.pgbouncer)?.toLowerCase() === 'true' ? { throughPgbouncer: true as const } : {}),
  })
}

/**
 * libpq `options` with `-c search_path=SCHEMA` added, as Prisma's `?schema=` sets it for
 * its sessions (libpq escapes a space or backslash in an option value with a backslash).
 */
function withSearchPath(options: string | undefined, schema: string | undefined): string | undefined {
  if (schema === undefined) return options
  const searchPath = `-c search_path=${`"${schema.replace(/"/g, '""')}"`.replace(/([\\ ])/g, '\\$1')}`
  return options === undefined ? searchPath : `${options} ${searchPath}`
}

/**
 * The servers of a `host` list and its `port` list, as libpq pairs them: one port for
 * every host, or one per host (an empty entry: the default port); an empty host entry
 * is the default host.
 */
function serverAddresses(hostText: string, portText: string | undefined): ServerAddress[] {
  const hosts = hostText.split(',').map((host) => host.trim() || 'localhost')
  const ports = (portText ?? '').split(',')
  if (ports.length !== 1 && ports.length !== hosts.length) {
    throw new InvalidInputError(`${hosts.length} hosts but ${ports.length} ports in the connection string`, {
      hint: 'give one port for every host, or one port per host, in the same order',
    })
  }
  return hosts.map((host, index) => {
    const text = (ports.length === 1 ? ports[0] : ports[index])?.trim() || '5432'
    const port = Number(text)
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidInputError(`invalid port "${text}"`, {
        hint: 'a port is a whole number from 1 to 65535',
      })
    }
    return Object.freeze({ host, port })
  })
}

/**
 * The fields with those of their libpq service filled in (`service=` or PGSERVICE): as
 * in libpq, what the connection string says wins over the service file, which wins over
 * the other PG* variables.
 */
function withService(fields: Fields, env: NodeJS.ProcessEnv): Fields {
  const name = fields.service ?? env.PGSERVICE
  if (name === undefined || name === '') return fields
  const fromService: Fields = {}
  for (const [key, value] of Object.entries(serviceKeywords(String(name), env)))
    if (key !== 'service') assignKeyword(fromService, key, value)
  const merged: Fields = { ...fromService }
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined && value !== '') merged[key as keyof Fields] = value
  return merged
}

function safeOsUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'postgres'
  }
}

/**
 * The spec as a URL with the password replaced by `***`: safe for any output.
 *
 * @example maskedUrl(spec) // 'postgresql://assistant:***@localhost:5433/assistant'
 */
export function maskedUrl(spec: ConnectionSpec): string {
  const credentials = `${encodeURIComponent(spec.user)}${spec.password === undefined ? '' : ':***'}@`
  const host = spec.host.startsWith('/') ? '' : spec.host.includes(':') ? `[${spec.host}]` : spec.host
  const query = new URLSearchParams()
  if (spec.host.startsWith('/')) query.set('host', spec.host)
  if (spec.sslmode !== undefined) query.set('sslmode', spec.sslmode)
  const suffix = query.size > 0 ? `?${query.toString()}` : ''
  return `postgresql://${credentials}${host}:${spec.port}/${encodeURIComponent(spec.database)}${suffix}`
}

/** A copy of the spec pointing at another database on the same server. */
export function withDatabase(spec: ConnectionSpec, database: string): ConnectionSpec {
  return Object.freeze({ ...spec, database })
}

/** True for connections that never leave the machine (loopback or a Unix socket). */
export function isLocalHost(host: string): boolean {
  return host.startsWith('/') || host === 'localhost' || host === '::1' || /^127\./.test(host)
}
