import { defineRule, perStatement } from './rule.js'

/** PostgreSQL's NAMEDATALEN - 1: the bytes of a name it keeps. */
const MAX_NAME_BYTES = 63

/**
 * A cheap first look at the statement's text: a word of 64 characters or more, or a
 * quoted name long enough to pass 63 bytes in UTF-8. Only then are its names read, so
 * the thousands of statements with short names cost one regular expression each.
 */
const MAYBE_LONG = /[\w$]{64,}|"[^"]{22,}"/

export default defineRule({
  id: 'identifier-too-long',
  level: 'warning',
  summary: 'a name longer than 63 bytes is cut to 63 without an error: two names that share those collide',
  examples: {
    flagged: [
      'CREATE INDEX ix_customer_subscription_billing_events_archive_identifier_and_period ON events (customer_id, period);',
      // 32 characters, 64 bytes in UTF-8.
      'ALTER TABLE events ADD COLUMN "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" text;',
    ],
    accepted: [
      'CREATE INDEX ix_events_customer_period ON events (customer_id, period);',
      // Long words in a string constant, a function body or a comment are no names.
      "COMMENT ON TABLE events IS 'customer_subscription_billing_events_archive_identifier_and_period_of_time';",
    ],
  },
  check: perStatement((statement) => {
    if (!MAYBE_LONG.test(statement.sql)) return undefined
    return [...longNames(statement.sql)].map((name) => {
      const kept = clipToBytes(name, MAX_NAME_BYTES)
      return {
        statement,
        message: `the name ${name} is ${Buffer.byteLength(name)} bytes; PostgreSQL keeps the first ${MAX_NAME_BYTES} (${kept}) with only a NOTICE, so another name that starts the same is the same object ("already exists"), and code using the full name finds nothing`,
        fix: `shorten it to at most ${MAX_NAME_BYTES} bytes (abbreviate the table and column parts), and use the same short name wherever it is referred to`,
      }
    })
  }),
})

/**
 * The names in a statement's text longer than 63 bytes. Read from the text, not the
 * parse tree: the parser itself has already cut them (as the server does). String
 * constants, dollar-quoted bodies and comments are left out: they hold no names.
 */
function longNames(sql: string): Set<string> {
  const code = sql.replace(/'(?:[^']|'')*'|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  const found = new Set<string>()
  for (const match of code.matchAll(/"((?:[^"]|"")+)"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/g)) {
    const name = match[1] === undefined ? match[0] : match[1].replace(/""/g, '"')
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) found.add(name)
  }
  return found
}

/** The longest start of `name` within `bytes` bytes of UTF-8, cut between characters as PostgreSQL cuts it. */
function clipToBytes(name: string, bytes: number): string {
  let kept = ''
  for (const char of name) {
    if (Buffer.byteLength(kept + char) > bytes) break
    kept += char
  }
  return kept
}
