/** "1 table", "3 tables", "2 indexes" (with `pluralNoun`). */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`
}
