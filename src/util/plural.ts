/** "1 table", "3 tables", "2 indexes" (with `pluralNoun`). */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`
}

/** "a, b, c" or, past `shown` names, "a, b, …, l, and 3 more": a list kept to one line. */
export function shortList(names: readonly string[], shown = 12): string {
  const more = names.length - shown
  return `${names.slice(0, shown).join(', ')}${more > 0 ? `, and ${more} more` : ''}`
}
