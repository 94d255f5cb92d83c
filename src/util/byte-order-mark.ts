/**
 * The text without the byte-order mark a Windows editor may save before it: JSON.parse
 * refuses it, PostgreSQL's parser reads it as part of a word, and a `.env` or list file
 * would lose its first entry to it.
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
