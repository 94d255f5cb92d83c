import { InvalidInputError } from '../errors/index.js'
import type { BackupFormat } from './manifest.js'

/** A `compression` setting, read and checked against the format. */
export interface CompressionChoice {
  readonly method: 'none' | 'gzip' | 'lz4' | 'zstd'
  readonly level: number | undefined
  readonly format: BackupFormat
}

/** How a backup is compressed: for pg_dump's arguments, or by Strata's gzip for plain dumps. */
export interface CompressionPlan {
  /** pg_dump arguments (custom and directory formats). */
  readonly pgDumpArgs: readonly string[]
  /** gzip level Strata applies to a plain dump; undefined for none. */
  readonly gzipLevel: number | undefined
  /** As written in the manifest: `gzip:6`, `lz4`, `none`. */
  readonly label: string
}

/** The highest level each method accepts (pg_dump refuses more, after connecting). */
const HIGHEST_LEVEL: Readonly<Record<string, number>> = { gzip: 9, lz4: 12, zstd: 22 }

/**
 * Reads the `compression` setting (a level 0-9, `gzip:N`, `lz4[:N]`, `zstd[:N]`, `none`)
 * for a format. Needs no server, so a typo is refused before anything connects.
 */
export function parseCompression(setting: string, format: BackupFormat): CompressionChoice {
  const match = /^(?:(none|gzip|lz4|zstd)(?::(\d+))?|(\d))$/.exec(setting.trim())
  if (!match) {
    throw new InvalidInputError(`compression "${setting}" is not understood`, {
      hint: "use a level 0-9, or 'gzip:N', 'lz4', 'zstd:N', 'none'",
    })
  }
  const method =
    match[3] !== undefined ? (match[3] === '0' ? 'none' : 'gzip') : (match[1] as CompressionChoice['method'])
  const level =
    match[3] !== undefined ? Number(match[3]) : match[2] === undefined ? undefined : Number(match[2])
  const highest = HIGHEST_LEVEL[method]
  if (level !== undefined && highest !== undefined && level > highest)
    throw new InvalidInputError(`compression "${setting}": ${method} levels go up to ${highest}`, {
      hint: `use ${method}:${Math.min(highest, 6)} (a good balance of size and speed) or any level up to ${highest}`,
    })
  if (format === 'plain' && (method === 'lz4' || method === 'zstd'))
    throw new InvalidInputError(
      `${method} compression is for custom and directory backups; plain backups are gzipped`,
      {
        hint: 'use --format custom with it, or a gzip level for plain backups',
      },
    )
  return { method, level, format }
}

/**
 * Turns a compression choice into arguments the chosen pg_dump understands: levels and
 * `gzip:N` everywhere; `lz4` and `zstd` from pg_dump 16 (custom and directory formats).
 * Plain dumps are gzipped by Strata itself, streamed.
 */
export function compressionPlan(choice: CompressionChoice, pgDumpMajor: number): CompressionPlan {
  const { method, level, format } = choice
  if (method === 'none') return { pgDumpArgs: ['-Z', '0'], gzipLevel: undefined, label: 'none' }
  if (method === 'gzip') {
    const gzipLevel = level ?? 6
    return format === 'plain'
      ? { pgDumpArgs: [], gzipLevel, label: `gzip:${gzipLevel}` }
      : { pgDumpArgs: ['-Z', String(gzipLevel)], gzipLevel: undefined, label: `gzip:${gzipLevel}` }
  }
  if (pgDumpMajor < 16) {
    throw new InvalidInputError(
      `${method} compression needs pg_dump 16 or newer; the pg_dump chosen is ${pgDumpMajor}`,
      {
        hint: 'use a gzip level (0-9), or install newer client programs',
      },
    )
  }
  const spec = level === undefined ? method : `${method}:${level}`
  return { pgDumpArgs: [`--compress=${spec}`], gzipLevel: undefined, label: spec }
}
