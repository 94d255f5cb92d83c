import type { CheckReport as SafetyReport } from '../../analysis/check.js'
import { ruleIds } from '../../analysis/rules/index.js'
import { ConfigError, UsageError } from '../../errors/index.js'
import type { RevisionGraph } from '../../graph/revision-graph.js'
import type { CheckOutcome } from '../../health/check-result.js'
import { didYouMean } from '../../util/closest-match.js'
import { plural } from '../../util/plural.js'

/**
 * Whether `strata check` findings are acknowledged: an entry is a rule id (accepted in
 * every migration) or `REVISION:rule` (in that migration only; the full id, or a prefix of
 * at least 4 characters).
 */
export function isAcknowledged(
  acknowledged: readonly string[],
  revision: string | undefined,
  rule: string,
): boolean {
  return acknowledged.some((entry) => {
    const colon = entry.lastIndexOf(':')
    if (colon < 0) return entry === rule
    const [prefix, id] = [entry.slice(0, colon), entry.slice(colon + 1)]
    if (id !== rule || revision === undefined) return false
    return revision === prefix || (prefix.length >= 4 && revision.startsWith(prefix))
  })
}

/**
 * Every acknowledgement must name a rule `strata check` has (and, with `REVISION:`, a
 * migration this project has): a misspelt one would acknowledge nothing, and the deploy
 * would stop on the error it was meant to accept, or, worse, pass today and stop on a
 * later deploy. Refused before anything connects.
 */
export function requireKnownAcknowledgements(
  entries: readonly { readonly entry: string; readonly from: 'config' | 'flag' }[],
  graph: RevisionGraph,
): void {
  const rules = ruleIds()
  for (const { entry, from } of entries) {
    const colon = entry.lastIndexOf(':')
    const [prefix, rule] = colon < 0 ? [undefined, entry] : [entry.slice(0, colon), entry.slice(colon + 1)]
    const where = from === 'config' ? 'deploy.acknowledge' : '--acknowledge'
    const fail = (what: string, hint: string) =>
      from === 'config'
        ? new ConfigError(`${where}: ${what}`, { where, hint })
        : new UsageError(`${where} ${entry}: ${what}`, { hint })
    if (!rules.includes(rule))
      throw fail(
        `"${rule}" is not a rule of strata check.${didYouMean(rule, rules)}`,
        'the rule id is the second column of a finding (`strata check --rules` lists them all); write RULE or REVISION:RULE',
      )
    if (prefix === undefined) continue
    const revisions = graph.all().map((migration) => migration.revision)
    const matches = revisions.filter(
      (revision) => revision === prefix || (prefix.length >= 4 && revision.startsWith(prefix)),
    )
    if (matches.length === 0)
      throw fail(
        `no migration ${prefix}${prefix.length < 4 ? ' (a revision prefix needs at least 4 characters)' : ''}.${didYouMean(prefix, revisions)}`,
        '`strata history` lists the revisions; or leave REVISION: out to accept the rule in every migration',
      )
  }
}

/**
 * "Safety check clean": errors stop the deploy unless acknowledged (`deploy.acknowledge`
 * or `--acknowledge`); warnings and acknowledged errors are shown, not fatal.
 */
export function safetyOutcome(report: SafetyReport, acknowledged: readonly string[]): CheckOutcome {
  const blocking: string[] = []
  const accepted: string[] = []
  const warnings: string[] = []
  for (const migration of [...report.migrations, { revision: undefined, findings: report.project }]) {
    for (const finding of migration.findings) {
      if (finding.suppressed !== undefined || finding.level === 'info') continue
      const where = migration.revision
        ? `${migration.revision}${finding.line ? `:${finding.line}` : ''} `
        : ''
      const line = `${where}[${finding.rule}] ${finding.message}`
      if (finding.level === 'warning') warnings.push(line)
      else if (isAcknowledged(acknowledged, migration.revision, finding.rule))
        accepted.push(`${line} (acknowledged)`)
      else
        blocking.push(
          `${line}; fix: ${finding.fix.split('\n')[0]?.replace(/;\s*$/, '')}; or acknowledge it: --acknowledge ${migration.revision ? `${migration.revision.slice(0, 12)}:` : ''}${finding.rule}`,
        )
    }
  }
  const classes = report.migrations.map((m) => `${m.revision ?? m.title} ${m.classification.class}`)
  if (blocking.length > 0)
    return {
      status: 'fail',
      summary: `${plural(blocking.length, 'error')} not acknowledged`,
      details: [...blocking, ...accepted, ...warnings],
    }
  const counted = `${plural(report.migrations.length, 'migration')} checked: ${classes.join(', ')}`
  if (warnings.length + accepted.length > 0)
    return {
      status: 'warn',
      summary: `${counted}; ${plural(warnings.length, 'warning')}${accepted.length > 0 ? `, ${accepted.length} acknowledged` : ''}`,
      details: [...accepted, ...warnings],
    }
  return { status: 'ok', summary: `${counted}; no findings` }
}

/** "No long transactions on the tables to change": each would make a migration wait, then time out. */
export function lockHoldersOutcome(report: SafetyReport, thresholdSeconds: number): CheckOutcome {
  const holders = report.longTransactions
  if (holders.length === 0)
    return {
      status: 'ok',
      summary: `no transaction older than ${thresholdSeconds}s holds a lock on the tables the migrations change`,
    }
  return {
    status: 'fail',
    summary: `${plural(holders.length, 'transaction')} open for more than ${thresholdSeconds}s hold${holders.length === 1 ? 's' : ''} locks on the tables to change`,
    details: holders.map(
      (t) =>
        `pid ${t.pid}${t.user ? ` (${t.user}${t.application ? `, ${t.application}` : ''})` : ''}, ${t.state ?? 'active'} for ${t.seconds}s, on ${t.tables.join(', ')}: ${t.query.slice(0, 120)}; wait for it or end it: strata diagnose terminate ${t.pid}`,
    ),
  }
}
