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

/**
 * An identifier written as a person would: bare when PostgreSQL reads it back unchanged
 * (lower case, not a reserved word), quoted otherwise. For SQL that Strata shows (fix
 * snippets, hints, pg_dump patterns), where `"users"` everywhere would be noise but
 * `Name` or `user` bare would mean another name, or be a syntax error.
 *
 * @example sqlIdent('users') // 'users'
 * @example sqlIdent('Name') // '"Name"'
 * @example sqlIdent('user') // '"user"'
 */
export function sqlIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED_WORDS.has(name) ? name : quoteIdent(name)
}

/** A `schema.table` (or bare) table name as the analysis holds it, each part as sqlIdent writes it. */
export function sqlTableName(table: string): string {
  const dot = table.indexOf('.')
  return dot === -1 ? sqlIdent(table) : `${sqlIdent(table.slice(0, dot))}.${sqlIdent(table.slice(dot + 1))}`
}

/**
 * PostgreSQL's reserved key words and those reserved except as function or type names:
 * neither can name a table or column unquoted (PostgreSQL 16, Appendix C).
 */
const RESERVED_WORDS = new Set(
  `all analyse analyze and any array as asc asymmetric both case cast check collate column
   constraint create current_catalog current_date current_role current_time current_timestamp
   current_user default deferrable desc distinct do else end except false fetch for foreign
   from grant group having in initially intersect into lateral leading limit localtime
   localtimestamp not null offset on only or order placing primary references returning select
   session_user some symmetric system_user table then to trailing true union unique user using
   variadic when where window with
   authorization binary collation concurrently cross current_schema freeze full ilike inner is
   isnull join left like natural notnull outer overlaps right similar tablesample verbose`.split(/\s+/),
)

/** `schema.name` as a person reads it (`public.alembic_version`), each part as sqlIdent writes it. */
export function sqlQualified(schema: string, name: string): string {
  return `${sqlIdent(schema)}.${sqlIdent(name)}`
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
