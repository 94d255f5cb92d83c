/**
 * Removes passwords from any text before it is printed or logged: URL credentials
 * (`postgresql://user:secret@host` → `postgresql://user:***@host`), libpq keyword
 * strings (`password=secret`), `PGPASSWORD=secret` assignments, and the literal of SQL's
 * `PASSWORD 'secret'` (CREATE/ALTER ROLE), which a blocking session's query, a failed
 * migration's statement or `diagnose activity` may show.
 */
export function maskSecrets(text: string): string {
  // Each pattern only where its fixed part occurs: a plain substring scan is far cheaper
  // than the regexes' attempt at every letter, and large outputs (a `check --json`
  // report of 2 MB) rarely hold either.
  let masked = text
  if (masked.includes('://')) {
    // The password runs to the last @ of the URL: written as it is (not percent-encoded)
    // it may hold a / or an @ of its own, and the part after those would show.
    masked = masked.replace(
      /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):(\S*)@/gi,
      (_match, prefix: string) => `${prefix}:***@`,
    )
  }
  if (/password/i.test(masked)) {
    masked = masked.replace(
      /\b(password|PGPASSWORD)\s*=\s*('[^']*'|"[^"]*"|[^\s&]+)/gi,
      (_match, key: string) => `${key}=***`,
    )
    masked = masked.replace(
      /\b(PASSWORD)(\s+)'(?:[^']|'')*'/gi,
      (_match, key: string, space: string) => `${key}${space}'***'`,
    )
  }
  return masked
}

/**
 * JSON with the secrets of every string value masked. Masking the serialized text
 * instead can break the document: `password=x"` would swallow the closing quote.
 */
export function maskedJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space)
  // Most documents hold nothing to mask: then serialized once, without a call per value.
  if (maskSecrets(text) === text) return text
  return JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === 'string' ? maskSecrets(item) : item),
    space,
  )
}
