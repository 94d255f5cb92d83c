import { createHash } from 'node:crypto'
import { repositoryPath } from '../util/display-path.js'
import type { Finding } from './analyse-migration.js'
import type { CheckReport } from './check.js'
import { unreadableFinding } from './unreadable-migration.js'

/** GitLab's severities: info, minor, major, critical, blocker. */
const SEVERITY = { error: 'major', warning: 'minor', info: 'info' } as const

/** One issue of a GitLab Code Quality report (the Code Climate subset GitLab reads). */
export interface CodeQualityIssue {
  readonly description: string
  readonly check_name: string
  readonly fingerprint: string
  readonly severity: (typeof SEVERITY)[keyof typeof SEVERITY]
  readonly location: { readonly path: string; readonly lines: { readonly begin: number } }
}

/**
 * The report as a GitLab Code Quality artifact (`artifacts: reports: codequality:`):
 * the merge request then shows each finding, with its safe alternative, on its line.
 * Suppressed findings are left out. Paths are relative to the checkout
 * (`CI_PROJECT_DIR`), as GitLab matches them against the diff; a finding about the
 * project (several heads) is placed on the first migration file, and SQL read from
 * stdin on the path `stdin` (listed in the report, on no line of the diff). The fingerprint is stable from run to run, so GitLab can tell
 * new findings from fixed ones between the branch and its target.
 */
export function toGitlabCodeQuality(
  report: CheckReport,
  projectDir: string = process.env.CI_PROJECT_DIR || process.cwd(),
): CodeQualityIssue[] {
  const issues: CodeQualityIssue[] = []
  const seen = new Map<string, number>()
  const add = (finding: Finding, file: string | undefined) => {
    if (finding.suppressed !== undefined) return
    const path = file === undefined ? 'stdin' : repositoryPath(projectDir, file)
    // Two identical findings in one file (the same rule and text) still need two fingerprints.
    const key = `${finding.rule}\n${path}\n${finding.message}`
    const occurrence = (seen.get(key) ?? 0) + 1
    seen.set(key, occurrence)
    issues.push({
      description: `${finding.message}. Safe alternative: ${finding.fix.replace(/\s*\n\s*/g, ' | ')}`,
      check_name: `strata/${finding.rule}`,
      fingerprint: createHash('md5').update(`${key}\n${occurrence}`).digest('hex'),
      severity: SEVERITY[finding.level],
      location: { path, lines: { begin: finding.line ?? 1 } },
    })
  }
  for (const migration of report.migrations)
    for (const finding of migration.findings) add(finding, migration.file)
  const anchor = report.migrations.find((migration) => migration.file !== undefined)?.file
  for (const finding of report.project) add(finding, anchor)
  for (const migration of report.unreadable) add(unreadableFinding(migration), migration.file)
  return issues
}
