import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A Markdown table: the format of bench/README.md and the closing notes. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, index) =>
    Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`
  return [
    line(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n')
}

export const seconds = (value: number) => `${value.toFixed(3)} s`
export const ratio = (value: number) => `${value.toFixed(2)}×`

/** Prints a result and keeps a copy in bench/results/ (not committed). */
export function saveReport(name: string, text: string): void {
  const dir = join(import.meta.dirname, '..', 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${name}.md`), `${text}\n`)
  console.log(text)
}
