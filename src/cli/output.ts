import pc from 'picocolors'
import { maskedJson, maskSecrets } from '../util/mask-secrets.js'

/** Colour only for people: a TTY, and never when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb'
}

const colors = pc.createColors(useColor(process.stderr) && useColor(process.stdout))

/**
 * Indentation of a JSON document written to stdout: two spaces for a person at a
 * terminal, none when piped or redirected, where a program reads it (`jq` indents on
 * demand). A thousand-file `strata check` report is half the size and written faster.
 */
export function jsonIndent(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY ? 2 : undefined
}

export { colors }

/**
 * Where a command's words go. Results go to stdout (one JSON document with --json);
 * notices and progress go to stderr so that stdout stays parseable. Every line passes
 * through the secret mask.
 */
export class Output {
  /**
   * @param sink receives the JSON document instead of stdout (`--all-databases`
   * gathers one per database into a single document).
   */
  constructor(
    readonly json: boolean,
    readonly quiet: boolean,
    private readonly sink?: (value: unknown) => void,
  ) {}

  /** A result line for people (suppressed in --json mode). */
  line(text = ''): void {
    if (!this.json) process.stdout.write(`${maskSecrets(text)}\n`)
  }

  /** A notice about what Strata is doing (stderr; silenced by --quiet). */
  notice(text: string): void {
    if (!this.quiet) process.stderr.write(`${maskSecrets(text)}\n`)
  }

  /** The one JSON document of a --json run. */
  data(value: unknown): void {
    if (this.json && this.sink !== undefined) this.sink(value)
    else if (this.json) process.stdout.write(`${maskedJson(value, jsonIndent())}\n`)
  }
}

/** Aligned columns for people; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  // Each cell's visible length is measured once: `strata check` over a thousand files
  // lays out thousands of rows.
  const lengths = rows.map((row) => row.map(visibleLength))
  const widths: number[] = []
  for (const rowLengths of lengths) {
    for (let index = 0; index < rowLengths.length; index++)
      widths[index] = Math.max(widths[index] ?? 0, rowLengths[index]!)
  }
  return rows
    .map((row, rowIndex) =>
      row
        .map((cell, index) =>
          index === row.length - 1 ? cell : cell + ' '.repeat(widths[index]! - lengths[rowIndex]![index]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

function visibleLength(text: string): number {
  // Strips ANSI colour codes so that coloured cells align.
  return text.includes('\u001b') ? text.replace(/\u001b\[[0-9;]*m/g, '').length : text.length
}

/** ✓ / ✗ / ! marks for check lists. */
export const mark = {
  ok: () => colors.green('✓'),
  fail: () => colors.red('✗'),
  warn: () => colors.yellow('!'),
}
