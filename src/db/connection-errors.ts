import { ConnectionError } from '../errors/index.js'
import { type ConnectionSpec, maskedUrl, serverAddressLabel } from './connection-spec.js'

/** The oldest PostgreSQL major Strata supports. */
export const MINIMUM_SERVER_VERSION = 12

const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
])

/**
 * One clear sentence and a remedy for a failed connection attempt. Only the masked
 * URL ever appears: node-postgres errors never contain the password, and the
 * message is built here from the spec, not from the raw connection string.
 */
export function describeConnectionFailure(error: unknown, spec: ConnectionSpec): ConnectionError {
  const at = maskedUrl(spec)
  const endpoint = serverAddressLabel(spec)
  const err = error as { code?: string; message?: string }
  const code = err?.code ?? ''
  const message = err?.message ?? String(error)
  const options = { where: at, cause: error }

  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError('host-not-found', `cannot connect to ${at}: host "${spec.host}" not found`, {
      ...options,
      hint: 'check the host name in the URL, the config or PGHOST',
    })
  }
  if (code === 'ECONNREFUSED' || code === 'ENOENT') {
    return new ConnectionError(
      'refused',
      `connection refused at ${endpoint}: no PostgreSQL server is listening there`,
      {
        ...options,
        hint: 'start the server or fix the port; for development, `strata dev start` runs a local PostgreSQL 16 (on dev.port, 5433 unless configured)',
      },
    )
  }
  if (
    ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'].includes(code) ||
    /timeout expired|connection timeout|timed out/i.test(message)
  ) {
    return new ConnectionError(
      'unreachable',
      `cannot reach ${endpoint}: no answer within ${spec.connectTimeout}s (${code || 'timeout'})`,
      {
        ...options,
        hint: 'check the host, the network path and firewalls; raise connect_timeout for a slow link',
      },
    )
  }
  if (code === '28P01') {
    return new ConnectionError(
      'authentication',
      `password authentication failed for user "${spec.user}" at ${endpoint}`,
      {
        ...options,
        hint: 'check the password in the URL, the config, PGPASSWORD or ~/.pgpass',
      },
    )
  }
  // The server asked for a password and none was given: node-postgres says
  // "SASL: ... client password must be a string" (SCRAM) or "... password must be a string".
  if (spec.password === undefined && /password must be a string|no password supplied/i.test(message)) {
    return new ConnectionError(
      'authentication',
      `the server at ${endpoint} asks user "${spec.user}" for a password, and none was given`,
      {
        ...options,
        hint: 'give it in the URL (postgresql://USER:PASSWORD@HOST/DB), in PGPASSWORD, or in ~/.pgpass (or a passfile=... in the URL)',
      },
    )
  }
  if (code === '28000' && /no encryption/i.test(message)) {
    return new ConnectionError('tls', `the server at ${endpoint} requires an encrypted (TLS) connection`, {
      ...options,
      hint: 'add ?sslmode=require to the URL (or set PGSSLMODE=require)',
    })
  }
  // A user name the server does not know shares 28000 with pg_hba's refusals (on a
  // trust or peer line, or before the password is asked), but its fix is the name.
  if (code === '28000' && /role ".*" does not exist/.test(message)) {
    return new ConnectionError('authentication', `role "${spec.user}" does not exist at ${endpoint}`, {
      ...options,
      hint: `check the user name in the URL, the config or PGUSER; or create the role: CREATE ROLE "${spec.user}" LOGIN PASSWORD '...';`,
    })
  }
  if (code === '28000') {
    return new ConnectionError(
      'authentication',
      `the server at ${endpoint} rejected the connection: ${message}`,
      {
        ...options,
        hint: "ask the server's administrator for a pg_hba.conf entry for this user, database and address",
      },
    )
  }
  if (code === '3D000') {
    return new ConnectionError(
      'database-missing',
      `database "${spec.database}" does not exist at ${endpoint}`,
      {
        ...options,
        hint: `create it: createdb -h ${spec.host} -p ${spec.port} -U ${spec.user} ${spec.database}  (or CREATE DATABASE "${spec.database}";)`,
      },
    )
  }
  if (/does not support SSL/i.test(message)) {
    return new ConnectionError(
      'tls',
      `TLS is required (sslmode=${spec.sslmode}) but the server at ${endpoint} does not support it`,
      {
        ...options,
        hint: 'enable ssl on the server, or use sslmode=prefer or disable for a trusted network',
      },
    )
  }
  if (TLS_CERTIFICATE_CODES.has(code) || /certificate|SSL routines|TLS/i.test(message)) {
    return new ConnectionError('tls', `TLS with ${endpoint} failed: ${message}`, {
      ...options,
      hint: "give the server's CA with sslrootcert=..., or use sslmode=require to encrypt without verifying",
    })
  }
  if (code === '57P03') {
    return new ConnectionError('other', `the server at ${endpoint} is starting up or shutting down`, {
      ...options,
      hint: 'wait a few seconds and try again',
    })
  }
  return new ConnectionError('other', `cannot connect to ${at}: ${message}`, options)
}

/** The error for a server older than Strata supports. */
export function serverTooOld(versionNumber: number, spec: ConnectionSpec): ConnectionError {
  const major = Math.floor(versionNumber / 10000)
  const minor = versionNumber % 10000
  return new ConnectionError(
    'server-too-old',
    `PostgreSQL ${major}.${minor} at ${spec.host}:${spec.port} is not supported: Strata needs PostgreSQL ${MINIMUM_SERVER_VERSION} or later`,
    { where: maskedUrl(spec), hint: `upgrade the server to PostgreSQL ${MINIMUM_SERVER_VERSION} or later` },
  )
}
