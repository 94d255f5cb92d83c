import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { EmbeddedServerError } from '../errors/index.js'
import { ensureDirectory } from '../util/ensure-directory.js'

/**
 * The development server's password lives in one 0600 file in libpq's pgpass format
 * (`127.0.0.1:*:*:postgres:PASSWORD`), so psql and any libpq program can use it
 * through `passfile=` or `PGPASSFILE` without the password ever being printed.
 */
export function ensureDevPassword(file: string): string {
  if (existsSync(file)) return readDevPassword(file)
  // The directory stays searchable: the data directory beneath it must be reachable by
  // the server user. Only the file itself is private.
  ensureDirectory(dirname(file))
  // base64url has no ':' or '\', the two characters pgpass would need escaped.
  const password = randomBytes(18).toString('base64url')
  writeFileSync(file, `127.0.0.1:*:*:postgres:${password}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return password
}

export function readDevPassword(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new EmbeddedServerError(`cannot read the development server's password file ${file}`, {
      hint:
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'it was deleted; the data directory still expects the old password. Restore the file, or stop the server and move the data directory aside to start afresh'
          : `check its permissions (${(error as NodeJS.ErrnoException).code})`,
    })
  }
  const password = text.trim().split(':').slice(4).join(':')
  if (password === '')
    throw new EmbeddedServerError(`the password file ${file} is malformed`, {
      hint: 'expected 127.0.0.1:*:*:postgres:PASSWORD',
    })
  return password
}
