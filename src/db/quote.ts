/**
 * Quotes an SQL identifier. Every identifier Strata writes into SQL goes through
 * here; values never do (they are parameters).
 *
 * @example quoteIdent('user') // '"user"'
 * @example quoteIdent('my"table') // '"my""table"'
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('an identifier cannot contain a NUL character')
  return `"${name.replace(/"/g, '""')}"`
}

/** `schema.name`, each part quoted; a name without schema is quoted alone. */
export function quoteQualified(schema: string | undefined, name: string): string {
  return schema === undefined ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/** A table named as `-t` and parsed SQL name it, `users` or `billing.invoices`, quoted exactly. */
export function quoteTableName(table: string): string {
  const [schema, name] = table.includes('.') ? table.split('.', 2) : [undefined, table]
  return quoteQualified(schema, name!)
}

/**
 * A string literal, for the few places PostgreSQL accepts no parameter (DDL such as
 * `COMMENT ON`, `SET lock_timeout`, and offline SQL scripts).
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a string literal cannot contain a NUL character')
  const escaped = value.replace(/'/g, "''")
  return value.includes('\\') ? ` E'${escaped.replace(/\\/g, '\\\\')}'`.trimStart() : `'${escaped}'`
}
