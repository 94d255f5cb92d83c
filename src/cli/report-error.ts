import { databaseErrorHint } from '../errors/database-error-hint.js'
import { StrataError } from '../errors/index.js'
import { systemErrorHint } from '../errors/system-error-hint.js'
import { maskedJson, maskSecrets } from '../util/mask-secrets.js'
import { colors, jsonIndent } from './output.js'
import { sourceStack } from './stack-source.js'

/**
 * Prints a failure as a person needs it: what went wrong, where, how to fix it; the
 * stack trace only with --debug. Returns the exit code.
 */
export function reportError(error: unknown, options: { debug: boolean; json: boolean }): 1 | 2 {
  const known = error instanceof StrataError ? error : undefined
  const exitCode = known?.exitCode ?? 1
  // A PostgreSQL error no command worded is still the database's answer, not a crash.
  const database = known ? undefined : databaseErrorHint(error)
  // A full disk or a file the account may not write is the machine's answer, not a bug.
  const system = known || database ? undefined : systemErrorHint(error)
  const text = (error as Error)?.message ?? String(error)
  const message = known
    ? known.message
    : database
      ? `the database refused: ${text} (SQLSTATE ${database.code})`
      : system
        ? system.message
        : `unexpected error: ${text}`
  const lines = message
    .split('\n')
    .map((line, index) => (index === 0 ? `${colors.red('error:')} ${line}` : `  ${line}`))
  if (known?.where !== undefined && !message.includes(known.where))
    lines.push(`  ${colors.dim('at:')} ${known.where}`)
  const hint = known?.hint ?? database?.hint ?? system?.hint
  if (hint !== undefined) lines.push(`  ${colors.cyan('hint:')} ${hint}`)
  if (!known && hint === undefined && !options.debug)
    lines.push(`  ${colors.dim('run with --debug for the stack trace')}`)
  if (options.debug && error instanceof Error && error.stack) {
    lines.push(sourceStack(error.stack))
    if (error.cause instanceof Error && error.cause.stack)
      lines.push(`cause: ${sourceStack(error.cause.stack)}`)
  }
  process.stderr.write(`${maskSecrets(lines.join('\n'))}\n`)
  if (options.json) {
    const payload = { ok: false, error: { message, where: known?.where, hint, exitCode } }
    process.stdout.write(`${maskedJson(payload, jsonIndent())}\n`)
  }
  return exitCode
}
