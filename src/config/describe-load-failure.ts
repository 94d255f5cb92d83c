import { ConfigError } from '../errors/index.js'
import { escapeRegex } from '../util/wildcard.js'

/**
 * Turns an error thrown while importing a config (syntax error, an exception at load
 * time, a missing import) into one ConfigError that names the file and line.
 */
export function describeLoadFailure(error: unknown, file: string, shown: string): ConfigError {
  const message = error instanceof Error ? error.message : String(error)
  const line = locateInFile(error, file)
  const where = line === undefined ? shown : `${shown}:${line}`
  if (
    /ParseError|SyntaxError|Unexpected token|Expected/.test(message) ||
    (error as Error)?.name === 'SyntaxError'
  ) {
    const firstLine = message
      .split('\n')[0]!
      .replace(/^ParseError:\s*/, '')
      .trim()
    return new ConfigError(`${where}: syntax error: ${firstLine}`, {
      where,
      hint: 'fix the syntax at that line; `npx tsc --noEmit` shows TypeScript errors in detail',
      cause: error,
    })
  }
  const code = (error as { code?: string } | undefined)?.code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return new ConfigError(`${where}: cannot load: ${message.split('\n')[0]}`, {
      where,
      hint: 'install the missing package or fix the import path',
      cause: error,
    })
  }
  return new ConfigError(`${where}: the config threw while loading: ${message.split('\n')[0]}`, {
    where,
    hint: 'the config runs as code; fix the statement at that line',
    cause: error,
  })
}

/** The line number in `file` named by the error's message or stack, when there is one. */
export function locateInFile(error: unknown, file: string): number | undefined {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
  const match = new RegExp(`${escapeRegex(file)}:(\\d+)(?::\\d+)?`).exec(text)
  return match ? Number(match[1]) : undefined
}
