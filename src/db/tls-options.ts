import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { InvalidInputError } from '../errors/index.js'
import { type ConnectionSpec, isLocalHost } from './connection-spec.js'

/**
 * The TLS attempts to make, in order, for a spec's `sslmode`, with libpq's meaning:
 * `false` is a plain connection, an object is TLS with those options.
 *
 * node-postgres cannot fall back inside one connection as libpq does, so `prefer`
 * and `allow` are a second attempt. `prefer` (the default) tries plain first on
 * loopback, where TLS protects nothing and the embedded server has none.
 */
export function tlsAttempts(spec: ConnectionSpec): (false | ConnectionOptions)[] {
  const files = readCertificateFiles(spec)
  const encryptedNoVerify: ConnectionOptions = { ...files, rejectUnauthorized: false }
  switch (spec.sslmode ?? 'prefer') {
    case 'disable':
      return [false]
    case 'allow':
      return [false, encryptedNoVerify]
    case 'prefer':
      return isLocalHost(spec.host) ? [false, encryptedNoVerify] : [encryptedNoVerify, false]
    case 'require':
      // libpq: with a root certificate, require behaves as verify-ca.
      return [
        files.ca
          ? { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined }
          : encryptedNoVerify,
      ]
    case 'verify-ca':
      if (!files.ca) throw missingRootCert('verify-ca')
      return [{ ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined }]
    case 'verify-full':
      return [{ ...files, rejectUnauthorized: true }]
  }
}

function missingRootCert(mode: string): InvalidInputError {
  return new InvalidInputError(`sslmode=${mode} needs the server's CA certificate`, {
    hint: 'add sslrootcert=/path/to/root.crt to the URL (or PGSSLROOTCERT)',
  })
}

function readCertificateFiles(spec: ConnectionSpec): Pick<ConnectionOptions, 'ca' | 'cert' | 'key'> {
  const read = (path: string | undefined, what: string) => {
    if (path === undefined) return undefined
    try {
      return readFileSync(path, 'utf8')
    } catch (error) {
      throw new InvalidInputError(
        `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        {
          hint: `check the ${what} path in the connection settings`,
        },
      )
    }
  }
  const files: Pick<ConnectionOptions, 'ca' | 'cert' | 'key'> = {}
  const ca = read(spec.sslrootcert, 'sslrootcert')
  const cert = read(spec.sslcert, 'sslcert')
  const key = read(spec.sslkey, 'sslkey')
  if (ca !== undefined) files.ca = ca
  if (cert !== undefined) files.cert = cert
  if (key !== undefined) files.key = key
  return files
}
