import { userInfo } from 'node:os'
import type { SslMode } from '../config/types.js'
import { InvalidInputError } from '../errors/index.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { lookupPgpass } from './pgpass.js'

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
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']

export interface SpecDefaults {
  env?: NodeJS.ProcessEnv
  connectTimeout?: number
  applicationName?: string
}

type Fields = Partial<Record<keyof ConnectionSpec | 'passfile', string | number | undefined>>

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

function fieldsFromUrl(text: string): Fields {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidInputError(`invalid connection URL ${maskSecrets(text)}`, {
      hint: 'expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE; percent-encode special characters in the password',
    })
  }
  const query = url.searchParams
  const fields: Fields = {
    host: url.hostname ? decodePart(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host') : undefined,
    port: url.port || undefined,
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
    throw new InvalidInputError(`invalid connection string ${maskSecrets(text)}`, {
      hint: 'give a URL (postgresql://USER@HOST:PORT/DATABASE) or libpq keywords (host=... port=... dbname=...)',
    })
  }
  return fields
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
    default:
      // Other libpq keywords (target_session_attrs, ...) are accepted and ignored, as libpq
      // ignores what it does not use; an unknown one is most likely harmless.
      return
  }
}

function buildSpec(fields: Fields, defaults: SpecDefaults): ConnectionSpec {
  const env = defaults.env ?? process.env
  const pick = (value: string | number | undefined, ...fallbacks: (string | undefined)[]) => {
    if (value !== undefined && value !== '') return String(value)
    return fallbacks.find((fallback) => fallback !== undefined && fallback !== '')
  }
  const user = pick(fields.user, env.PGUSER) ?? safeOsUser()
  const portText = pick(fields.port, env.PGPORT) ?? '5432'
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidInputError(`invalid port "${portText}"`, {
      hint: 'a port is a whole number from 1 to 65535',
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
  const host = pick(fields.host, env.PGHOST) ?? 'localhost'
  const database = pick(fields.database, env.PGDATABASE) ?? user
  const passfile = pick(fields.passfile)
  const password =
    pick(fields.password, env.PGPASSWORD) ??
    (passfile === undefined ? undefined : lookupPgpass(passfile, { host, port, database, user }))
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
    options: pick(fields.options, env.PGOPTIONS),
  })
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
