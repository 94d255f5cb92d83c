import { isUtf8 } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { InvalidInputError } from '../errors/index.js'

/** Where a file stops being UTF-8: its first byte that starts no valid sequence. */
export interface NotUtf8 {
  /** 1-based, as editors count. */
  readonly line: number
  readonly column: number
  /** The byte, as `0xE9`. */
  readonly byte: string
}

/**
 * Undefined when `bytes` are UTF-8; otherwise where the first invalid byte is. A
 * migration saved as Latin-1 or Windows-1252 (an accented name in a seed row) would be
 * decoded with U+FFFD in place of its letters and sent to the server changed; psql
 * would have sent the bytes and PostgreSQL refused them ("invalid byte sequence for
 * encoding UTF8"). So such a file is refused, naming the place.
 */
export function notUtf8(bytes: Uint8Array): NotUtf8 | undefined {
  if (isUtf8(bytes)) return undefined
  const offset = firstInvalidOffset(bytes)
  let line = 1
  let lineStart = 0
  for (let index = 0; index < offset; index++) {
    if (bytes[index] === 0x0a) {
      line++
      lineStart = index + 1
    }
  }
  return {
    line,
    column: offset - lineStart + 1,
    byte: `0x${(bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`,
  }
}

/** The offset of the first byte that does not start a well-formed UTF-8 sequence. */
function firstInvalidOffset(bytes: Uint8Array): number {
  let index = 0
  while (index < bytes.length) {
    const lead = bytes[index]!
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0
    // isUtf8 of the one sequence rules out bad continuation bytes, overlong forms and surrogates.
    if (length === 0 || index + length > bytes.length) return index
    if (length > 1 && !isUtf8(bytes.subarray(index, index + length))) return index
    index += length
  }
  return 0
}

/**
 * `bytes` (the contents of `path`) decoded, or refused with `error` (exit 2) at their
 * first byte that is not UTF-8: `file:3:14: not UTF-8 (byte 0xE9) ...`. A migration
 * file is refused as an invalid migration, other files as invalid input.
 */
export function utf8Text(
  bytes: Buffer,
  path: string,
  error: new (message: string, options: { where: string; hint: string }) => Error = InvalidInputError,
): string {
  const invalid = notUtf8(bytes)
  if (invalid !== undefined)
    throw new error(
      `${path}:${invalid.line}:${invalid.column}: not UTF-8 (byte ${invalid.byte}): PostgreSQL refuses such bytes ("invalid byte sequence for encoding UTF8"), and decoded they would reach it changed`,
      {
        where: path,
        hint: 'save the file as UTF-8 (your editor\'s "save with encoding", or iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8 for a file written on Windows)',
      },
    )
  return bytes.toString('utf8')
}

/**
 * A file's text, refused (exit 2, with its line and column) when it is not UTF-8: for
 * every file whose text Strata sends on or writes into a migration (another tool's
 * migrations being converted), where decoding would put U+FFFD in place of the letters.
 */
export function readTextFile(path: string): string {
  return utf8Text(readFileSync(path), path)
}
