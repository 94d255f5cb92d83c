import { sqlIdent } from '../db/quote.js'

/**
 * The catalog snapshot keys objects by dotted names: `schema.table`, `schema.table.column`
 * (constraints, triggers and policies the same way), `schema.index`. These turn them
 * back into SQL names, the public schema left implicit as people write it.
 */

/** `public.users` → `users`; `app.users` → `app.users`; each part quoted where needed. */
export function relationName(key: string): string {
  const dot = key.indexOf('.')
  const schema = key.slice(0, dot)
  const name = key.slice(dot + 1)
  return schema === 'public' ? sqlIdent(name) : `${sqlIdent(schema)}.${sqlIdent(name)}`
}

/** `schema.table.member` → `schema.table`. */
export function tableOf(key: string): string {
  return key.slice(0, key.lastIndexOf('.'))
}

/** `schema.table.member` → `member`. */
export function memberOf(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1)
}

/** `schema.name(args)` → `name(args)` with the name quoted where needed, schema-qualified unless public. */
export function routineName(key: string): string {
  const dot = key.indexOf('.')
  const schema = key.slice(0, dot)
  const signature = key.slice(dot + 1)
  const open = signature.indexOf('(')
  const name = sqlIdent(signature.slice(0, open))
  return `${schema === 'public' ? '' : `${sqlIdent(schema)}.`}${name}${signature.slice(open)}`
}
