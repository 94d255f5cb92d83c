import { readFileSync } from 'node:fs'
import { isPostgresUrl } from '../db/connection-spec.js'
import { InvalidInputError } from '../errors/index.js'
import { withoutByteOrderMark } from '../util/byte-order-mark.js'

/** One line of a tenant list file. */
export type TenantListEntry =
  | { readonly kind: 'database'; readonly database: string; readonly line: number }
  | { readonly kind: 'url'; readonly url: string; readonly line: number }
  | { readonly kind: 'schema'; readonly schema: string; readonly line: number }

/**
 * Reads a tenant list: one tenant per line, `#` starts a comment, blank lines are
 * skipped. A line is a database name on the tenants' server, a `postgresql://` URL, or
 * `schema:NAME` for a schema in the selected database.
 *
 * @example
 * # tenants.txt
 * tenant_acme
 * schema:tenant_globex
 * postgresql://app@db-eu:5432/tenant_initech
 */
export function readTenantList(path: string): TenantListEntry[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidInputError(
      `cannot read the tenant list ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`,
      { where: path, hint: 'give a file with one tenant per line (a database name, a URL, or schema:NAME)' },
    )
  }
  const entries: TenantListEntry[] = []
  // Saved by a Windows editor: a byte-order mark before the first name, CRLF line ends.
  for (const [index, raw] of withoutByteOrderMark(text).split(/\r?\n/).entries()) {
    const line = index + 1
    const item = raw.replace(/(^|\s)#.*$/, '').trim()
    if (item === '') continue
    if (/\s/.test(item))
      throw new InvalidInputError(`${path}:${line}: one tenant per line, found "${item}"`, {
        where: `${path}:${line}`,
        hint: 'put each database name, URL or schema:NAME on a line of its own',
      })
    if (isPostgresUrl(item)) entries.push({ kind: 'url', url: item, line })
    else if (/^[\w+.-]+:\/\//.test(item))
      throw new InvalidInputError(`${path}:${line}: "${item.split('://')[0]}://" is not a PostgreSQL URL`, {
        where: `${path}:${line}`,
        hint: 'write postgresql://user@host:port/database (the password from PGPASSWORD or ~/.pgpass, not the file)',
      })
    else if (/[/:]/.test(item) && !item.startsWith('schema:'))
      throw new InvalidInputError(
        `${path}:${line}: "${item}" is neither a database name nor a URL (a URL starts with postgresql://)`,
        { where: `${path}:${line}`, hint: `write postgresql://${item.replace(/^\/+/, '')}` },
      )
    else if (item.startsWith('schema:')) {
      const schema = item.slice('schema:'.length)
      if (schema === '')
        throw new InvalidInputError(`${path}:${line}: "schema:" needs a schema name`, {
          where: `${path}:${line}`,
          hint: 'write schema:tenant_acme',
        })
      entries.push({ kind: 'schema', schema, line })
    } else entries.push({ kind: 'database', database: item, line })
  }
  if (entries.length === 0)
    throw new InvalidInputError(`the tenant list ${path} names no tenant`, {
      where: path,
      hint: 'one tenant per line: a database name, a URL, or schema:NAME',
    })
  return entries
}
