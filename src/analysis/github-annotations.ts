import { repositoryPath } from '../util/display-path.js'
import type { Finding } from './analyse-migration.js'
import type { CheckReport } from './check.js'

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const

/**
 * The report as GitHub Actions workflow commands (`::error file=...,line=...::...`): a
 * `strata check` step in a workflow then annotates the pull request's lines with each
 * finding and its safe alternative, without code scanning (which SARIF needs). Suppressed
 * findings are left out; each migration's class is a notice on its file. Paths are
 * relative to the repository checkout (`GITHUB_WORKSPACE`), where GitHub looks for them.
 */
export function toGithubAnnotations(
  report: CheckReport,
  workspace: string = process.env.GITHUB_WORKSPACE || process.cwd(),
): string[] {
  const lines: string[] = []
  const path = (file: string) => repositoryPath(workspace, file)
  const annotate = (finding: Finding, file: string | undefined) => {
    if (finding.suppressed !== undefined) return
    const properties = [
      ...(file === undefined ? [] : [`file=${property(path(file))}`]),
      ...(file === undefined || finding.line === undefined ? [] : [`line=${finding.line}`]),
      `title=${property(`strata check: ${finding.rule}`)}`,
    ]
    lines.push(
      `::${COMMAND[finding.level]} ${properties.join(',')}::${data(`${finding.message}\nSafe alternative:\n${finding.fix}`)}`,
    )
  }
  for (const migration of report.migrations) {
    const { classification } = migration
    if (migration.file !== undefined)
      lines.push(
        `::notice file=${property(path(migration.file))},title=${property(`${classification.class}, downtime ${classification.downtime}, risk ${classification.risk}`)}::${data(classification.reason)}`,
      )
    for (const finding of migration.findings) annotate(finding, migration.file)
  }
  for (const finding of report.project) annotate(finding, undefined)
  for (const migration of report.unreadable) {
    const annotation = errorAnnotation({ ...migration, where: migration.where ?? migration.file }, workspace)
    if (annotation !== undefined) lines.push(annotation)
  }
  return lines
}

/** A workflow command's message: %, CR and LF escaped, as the runner reads them back. */
function data(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A workflow command's property value: also `:` and `,`, which separate properties. */
function property(text: string): string {
  return data(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * A migration Strata could not read at all (a syntax error, a module that throws on
 * load), as one error annotation on its file and line: the others are still
 * annotated, the check ends with exit 2, and the pull request shows where. Undefined when the error names no file.
 */
export function errorAnnotation(
  error: { message: string; where?: string | undefined; hint?: string | undefined },
  workspace: string = process.env.GITHUB_WORKSPACE || process.cwd(),
): string | undefined {
  const where = /^(.+?)(?::(\d+))?$/.exec(error.where ?? '')
  if (where === null || error.where === undefined) return undefined
  const [, file, line] = where
  const properties = [
    `file=${property(repositoryPath(workspace, file!))}`,
    ...(line === undefined ? [] : [`line=${line}`]),
    `title=${property('strata check: cannot read the migration')}`,
  ]
  return `::error ${properties.join(',')}::${data(`${error.message}${error.hint === undefined ? '' : `\n${error.hint}`}`)}`
}
