import { quoteLiteral } from '../db/quote.js'

/** A parameter value as an SQL literal, for offline scripts. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  if (value instanceof Date) return quoteLiteral(value.toISOString())
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`
  if (typeof value === 'object') return quoteLiteral(JSON.stringify(value))
  return quoteLiteral(String(value))
}

/**
 * Replaces `$1`, `$2`, ... with literals, skipping quoted text, comments and dollar
 * quotes, so that a parameterised statement can be written into an offline script.
 */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  if (params.length === 0) return sql
  let out = ''
  let index = 0
  while (index < sql.length) {
    const char = sql[index]!
    if (char === "'" || char === '"') {
      const end = closing(sql, index + 1, char)
      out += sql.slice(index, end)
      index = end
    } else if (char === '-' && sql[index + 1] === '-') {
      const end = sql.indexOf('\n', index)
      const stop = end === -1 ? sql.length : end
      out += sql.slice(index, stop)
      index = stop
    } else if (char === '$') {
      const placeholder = /^\$(\d+)/.exec(sql.slice(index))
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(index))
      if (placeholder) {
        const position = Number(placeholder[1]) - 1
        if (position < 0 || position >= params.length)
          throw new Error(`placeholder $${position + 1} has no parameter`)
        out += sqlLiteral(params[position])
        index += placeholder[0].length
      } else if (tag) {
        const end = sql.indexOf(tag[0], index + tag[0].length)
        const stop = end === -1 ? sql.length : end + tag[0].length
        out += sql.slice(index, stop)
        index = stop
      } else {
        out += char
        index++
      }
    } else {
      out += char
      index++
    }
  }
  return out
}

function closing(sql: string, from: number, quote: string): number {
  let index = from
  while (index < sql.length) {
    if (sql[index] === quote) {
      if (sql[index + 1] === quote) index += 2
      else return index + 1
    } else index++
  }
  return index
}
