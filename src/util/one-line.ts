/**
 * The first `length` characters of `text` with each run of whitespace made one space.
 * Collapsing only shortens, and a run cut at the end of a prefix collapses to the
 * same one space, so a prefix long enough to give `length` characters gives the same
 * result as the whole text: a 100 kB INSERT is not rewritten to show 160 characters.
 */
export function oneLine(text: string, length: number): string {
  const prefix = text.slice(0, length * 4)
  const collapsed = prefix.replace(/\s+/g, ' ')
  if (collapsed.length >= length || prefix.length === text.length) return collapsed.slice(0, length)
  return text.replace(/\s+/g, ' ').slice(0, length)
}
