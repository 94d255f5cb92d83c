/**
 * A pattern with `*` wildcards as a regular expression matching the whole text.
 *
 * @example wildcardPattern('tmp_*').test('tmp_import') // true
 */
export function wildcardPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`)
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}
