import { appendAll } from '../util/append-all.js'
import { repositoryPath } from '../util/display-path.js'
import { oneLine } from '../util/one-line.js'
import { plural } from '../util/plural.js'
import type { Finding, MigrationReport } from './analyse-migration.js'
import type { CheckReport } from './check.js'
import { statementWork } from './statement-work.js'

/**
 * The report as Markdown for a pull request or a CI job summary (GitHub's
 * `$GITHUB_STEP_SUMMARY`, a merge request note): a table of the migrations with their
 * class, downtime and risk, then per migration the statements that lock a table in use
 * and every finding with its safe alternative. Paths relative to `workspace`.
 */
export function toMarkdown(report: CheckReport, workspace: string = process.cwd()): string {
  const { errors, warnings, suppressed } = report.counts
  const out = [
    `## strata check: ${plural(report.migrations.length, 'migration')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${suppressed ? ` (${suppressed} suppressed)` : ''}`,
    '',
    `${report.selection}, ${report.mode}, PostgreSQL ${report.serverVersion}`,
    '',
  ]
  if (report.migrations.length > 0) {
    out.push('| migration | class | downtime | risk | findings |', '| --- | --- | --- | --- | --- |')
    for (const migration of report.migrations) {
      const { classification } = migration
      out.push(
        `| ${cell(title(migration))} | ${classification.class} | ${classification.downtime} | ${classification.risk} | ${cell(counts(migration.findings))} |`,
      )
    }
    out.push('')
  }
  for (const migration of report.migrations) appendAll(out, migrationSection(migration, workspace))
  if (report.project.length > 0) {
    out.push('### The migration graph', '')
    for (const finding of report.project) appendAll(out, findingLines(finding))
    out.push('')
  }
  for (const unreadable of report.unreadable)
    out.push(`- **not analysed**: ${cell(unreadable.id)} cannot be read: ${inline(unreadable.message)}`)
  return `${out.join('\n').trimEnd()}\n`
}

function migrationSection(migration: MigrationReport, workspace: string): string[] {
  const { classification } = migration
  const out = [
    `### ${inline(title(migration))}`,
    '',
    `**${classification.class}** · downtime ${classification.downtime} · risk ${classification.risk}${migration.phase ? ` · phase ${migration.phase}` : ''}${migration.revision !== undefined && migration.file ? ` · \`${repositoryPath(workspace, migration.file)}\`` : ''}`,
    '',
    inline(classification.reason),
    '',
  ]
  if (migration.tables.length > 0)
    out.push(`Tables: ${migration.tables.map((t) => `${inline(t.table)} (${t.size})`).join('; ')}`, '')
  const locking = migration.statements.filter((s) =>
    s.locks.some((l) => l.existing && l.mode !== 'ACCESS SHARE'),
  )
  if (locking.length > 0) {
    out.push('| line | statement | lock | on | blocks | work |', '| --- | --- | --- | --- | --- | --- |')
    for (const statement of locking)
      for (const [index, lock] of statement.locks.entries())
        out.push(
          `| ${index === 0 ? (statement.line ?? '') : ''} | ${index === 0 ? cell(`\`${short(statement.sql)}\``) : ''} | ${lock.mode} | ${cell(lock.table)}${lock.existing ? '' : ' (new)'} | ${lock.blocks} | ${index === 0 ? statementWork(statement) : ''} |`,
        )
    out.push('')
  }
  const findings = [...migration.findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  for (const finding of findings) appendAll(out, findingLines(finding))
  if (findings.length > 0) out.push('')
  return out
}

function findingLines(finding: Finding): string[] {
  const where = finding.line === undefined ? '' : ` line ${finding.line}`
  if (finding.suppressed !== undefined)
    return [`- allowed \`${finding.rule}\`${where}: ${inline(finding.suppressed)}`]
  return [
    `- **${finding.level}** \`${finding.rule}\`${where}: ${inline(finding.message)}`,
    '  <details><summary>Safe alternative</summary>',
    '',
    '  ```',
    ...finding.fix.split('\n').map((line) => `  ${line}`),
    '  ```',
    '  </details>',
  ]
}

function title(migration: MigrationReport): string {
  return migration.revision && migration.title !== migration.revision
    ? `${migration.revision} ${migration.title}`
    : migration.title
}

function counts(findings: readonly Finding[]): string {
  const open = findings.filter((finding) => finding.suppressed === undefined)
  const errors = open.filter((finding) => finding.level === 'error').length
  const warnings = open.filter((finding) => finding.level === 'warning').length
  if (errors + warnings === 0) return 'none'
  return [errors ? plural(errors, 'error') : '', warnings ? plural(warnings, 'warning') : '']
    .filter(Boolean)
    .join(', ')
}

function short(sql: string): string {
  const line = oneLine(sql, 61)
  return line.length > 60 ? `${line.slice(0, 59)}...` : line
}

/** Text inside a table cell: a pipe would end the cell, a newline the row. */
function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|')
}

/** Text on one Markdown line; HTML-looking text shown as written. */
function inline(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/</g, '&lt;')
}
