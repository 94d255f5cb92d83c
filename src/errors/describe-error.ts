import { StrataError } from './strata-error.js'

/** The real error, as lines: message, where, hint, SQLSTATE and detail of the database's error. */
export function describeError(error: unknown): string[] {
  // A message of several lines (a failed migration's statement and outcome) stays several lines.
  const lines = ((error as Error)?.message ?? String(error)).split('\n')
  if (error instanceof StrataError) {
    if (error.where) lines.push(`where: ${error.where}`)
    if (error.hint) lines.push(`hint: ${error.hint}`)
  }
  const cause = (error as { cause?: { code?: string; detail?: string; message?: string } }).cause
  if (cause?.code) lines.push(`SQLSTATE ${cause.code}${cause.message ? `: ${cause.message}` : ''}`)
  if (cause?.detail && !lines.includes(`detail: ${cause.detail}`)) lines.push(`detail: ${cause.detail}`)
  return lines
}
