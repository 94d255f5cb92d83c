import type { Finding, MigrationReport, StatementReport } from '../analysis/analyse-migration.js'
import type { CheckReport } from '../analysis/check.js'
import { statementWork } from '../analysis/statement-work.js'
import { appendAll } from '../util/append-all.js'
import { displayPath } from '../util/display-path.js'
import { plural } from '../util/plural.js'
import { colors, table } from './output.js'

const LEVEL_COLOR = { error: colors.red, warning: colors.yellow, info: colors.cyan } as const

/** The check report for people: per migration, its class, a lock table, then findings with fixes. */
export function formatCheckReport(report: CheckReport, options: { verbose: boolean }): string {
  const out: string[] = []
  out.push(
    colors.dim(
      `Checked ${report.selection} (${report.mode}, PostgreSQL ${report.serverVersion}${report.connectedVersion === undefined ? '' : ` as --pg-version asks; the server is PostgreSQL ${report.connectedVersion}`})${report.excluded.length ? `; excluded by config: ${report.excluded.join(', ')}` : ''}`,
    ),
    ...report.notes.map((note) => colors.dim(note)),
    '',
  )
  // With unreadable migrations there was something to check: the error below says why not.
  if (report.migrations.length === 0 && report.unreadable.length === 0)
    out.push(`Nothing to check: ${whyNothing(report.selection)}.`, '')
  for (const migration of report.migrations) {
    appendAll(out, formatMigration(migration, options))
    out.push('')
  }
  for (const finding of report.project) appendAll(out, formatFinding(finding, '  '))
  if (report.longTransactions.length > 0) {
    out.push(
      colors.bold('Open transactions holding locks on these tables now (a migration would wait for them):'),
    )
    out.push(
      indent(
        table([
          ['pid', 'open for', 'user', 'state', 'tables', 'query'],
          ...report.longTransactions.map((t) => [
            String(t.pid),
            `${t.seconds}s`,
            t.user ?? '',
            t.state ?? '',
            t.tables.join(', '),
            t.query,
          ]),
        ]),
        '  ',
      ),
      '  end them or wait before migrating: `strata diagnose blocking` shows who blocks whom',
      '',
    )
  }
  const { errors, warnings, infos, suppressed } = report.counts
  // What an unreadable migration lacks is the error printed after the report (exit 2).
  const unread = report.unreadable.length
  const total = `${report.migrations.length} ${report.migrations.length === 1 ? 'migration' : 'migrations'} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${infos ? `, ${plural(infos, 'note')}` : ''}${suppressed ? ` (${suppressed} suppressed)` : ''}${unread ? `; ${plural(unread, 'migration')} not analysed: ${report.unreadable.map((m) => m.id).join(', ')} cannot be read (below)` : ''}`
  out.push(
    errors > 0 || unread > 0 ? colors.red(total) : warnings > 0 ? colors.yellow(total) : colors.green(total),
  )
  return out.join('\n')
}

function formatMigration(migration: MigrationReport, options: { verbose: boolean }): string[] {
  const { classification } = migration
  const file = migration.file ? displayPath(migration.file) : ''
  const title =
    migration.revision && migration.title !== migration.revision
      ? `${migration.revision}  ${migration.title}`
      : migration.title
  const out = [`${colors.bold(title)}${file && file !== migration.title ? colors.dim(`  ${file}`) : ''}`]
  const riskColor =
    classification.risk === 'high'
      ? colors.red
      : classification.risk === 'medium'
        ? colors.yellow
        : colors.green
  out.push(
    `  ${riskColor(`${classification.class} · downtime ${classification.downtime} · risk ${classification.risk}`)}${migration.phase ? colors.dim(` · phase ${migration.phase}`) : ''}`,
    `  ${classification.reason}`,
  )
  if (migration.tables.length > 0)
    out.push(`  tables: ${migration.tables.map((t) => `${t.table} (${t.size})`).join('; ')}`)
  const shown = migration.statements.filter(
    (s) => options.verbose || s.locks.some((l) => l.existing && l.mode !== 'ACCESS SHARE'),
  )
  if (shown.length > 0) out.push('', indent(lockTable(shown), '  '))
  for (const text of migration.unverifiable) out.push(colors.yellow(`  unverifiable: ${text}`))
  const findings = [...migration.findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  if (findings.length > 0) out.push('')
  for (const finding of findings) appendAll(out, formatFinding(finding, '  '))
  return out
}

function lockTable(statements: readonly StatementReport[]): string {
  const rows = [['line', 'statement', 'lock', 'on', 'blocks', 'work', 'lock_timeout']]
  for (const statement of statements) {
    const work = statementWork(statement)
    const sql = statement.sql.length > 52 ? `${statement.sql.slice(0, 51)}…` : statement.sql
    const locks = statement.locks.length > 0 ? statement.locks : [undefined]
    locks.forEach((lock, index) => {
      rows.push([
        index === 0 ? String(statement.line ?? '') : '',
        index === 0 ? sql : '',
        lock?.mode ?? '-',
        lock ? `${lock.table}${lock.existing ? '' : ' (new)'}` : '',
        lock?.blocks ?? '',
        index === 0 ? work : '',
        index === 0 ? (statement.lockTimeout ?? (lock?.existing ? colors.red('none') : '-')) : '',
      ])
    })
  }
  return table(rows.map((row, index) => (index === 0 ? row.map((cell) => colors.dim(cell)) : row)))
}

function formatFinding(finding: Finding, prefix: string): string[] {
  const level = LEVEL_COLOR[finding.level](finding.level.padEnd(7))
  const where = finding.line === undefined ? '' : colors.dim(`line ${finding.line}  `)
  if (finding.suppressed !== undefined) {
    return [
      `${prefix}${colors.dim(`allowed  ${finding.rule}  ${finding.line ? `line ${finding.line}  ` : ''}${finding.suppressed}`)}`,
    ]
  }
  const fix = finding.fix
    .split('\n')
    .map((line, index) => `${prefix}         ${index === 0 ? colors.dim('fix: ') : '     '}${line}`)
  return [`${prefix}${level}  ${colors.bold(finding.rule)}  ${where}${finding.message}`, ...fix]
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n')
}

/** Why a selection holds no migration, in the words of how it was made. */
function whyNothing(selection: string): string {
  const since = /^migrations changed since (.+)$/.exec(selection)?.[1]
  if (since !== undefined) return `no migration file changed since ${since}`
  if (selection === 'pending migrations') return 'no migration is pending'
  if (selection === 'all migrations') return 'the project has no migrations yet'
  if (selection.startsWith('range ')) return `the ${selection} holds no migration`
  return `none of ${selection} is left to analyse`
}
