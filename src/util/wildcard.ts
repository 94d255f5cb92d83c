/**
 * A pattern with `*` wildcards as a regular expression matching the whole text.
 *
 * @example wildcardPattern('tmp_*').test('tmp_import') // true
 */
export function wildcardPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`)
}

/** `text` as a regular expression that matches it literally (also as a PostgreSQL `~` pattern). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
