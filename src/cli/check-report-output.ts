import type { CheckReport, CheckResult, CheckStatus } from '../health/check-result.js'
import { plural } from '../util/plural.js'
import { colors, mark } from './output.js'

/** One check: its ✓/✗/!/- line, and each detail indented below it. */
export function formatCheckLine(check: CheckResult): string {
  return [
    `${MARKS[check.status]()} ${check.title} ${colors.dim('—')} ${check.summary}`,
    ...check.details.map((detail) => `    ${detail}`),
  ].join('\n')
}

const MARKS: Readonly<Record<CheckStatus, () => string>> = {
  ok: mark.ok,
  fail: mark.fail,
  warn: mark.warn,
  skip: () => colors.dim('-'),
}

/**
 * A health or verify report for people: a ✓/✗/! line per check in the guide's words,
 * each problem indented below its check, and a closing count.
 */
export function formatCheckReport(report: CheckReport, heading: string): string {
  const lines = [`${heading} ${report.database}`]
  for (const check of report.checks) lines.push(formatCheckLine(check))
  const failed = report.checks.filter((check) => check.status === 'fail').length
  const warned = report.checks.filter((check) => check.status === 'warn').length
  const total = report.checks.reduce((sum, check) => sum + check.durationMs, 0)
  const counts = `${plural(report.checks.length, 'check')} in ${total} ms`
  lines.push('')
  if (failed > 0)
    lines.push(
      `${mark.fail()} ${plural(failed, 'check')} failed${warned ? `, ${plural(warned, 'warning')}` : ''} (${counts})`,
    )
  else if (warned > 0) lines.push(`${mark.warn()} passed with ${plural(warned, 'warning')} (${counts})`)
  else lines.push(`${mark.ok()} all checks passed (${counts})`)
  return lines.join('\n')
}
