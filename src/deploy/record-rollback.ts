import type { ResolvedConfig } from '../config/types.js'
import { notifyTeam, withoutTimestamp } from './notify-team.js'
import { appendProductionLog, type ProductionLogEntry } from './production-log.js'
import { type RollbackReportFacts, resolutionOf, writeRollbackReport } from './rollback-report.js'

/**
 * What every rollback leaves behind, automatic or by hand: the report in
 * `deploy.reportsDirectory`, a line saying how it ended and where the report is, and the
 * production log line that names the report, and the team told (`deploy.notify`).
 */
export async function recordRollback(
  config: ResolvedConfig,
  facts: RollbackReportFacts,
  log: Omit<ProductionLogEntry, 'at' | 'database' | 'operator' | 'report'>,
  onLine: (line: string) => void,
): Promise<{ reportPath: string; logLine: string }> {
  const reportPath = writeRollbackReport(config.deploy.reportsDirectory, facts)
  onLine(`${resolutionOf(facts)}; report written to ${reportPath}`)
  const logLine = appendProductionLog(config.deploy.log, {
    ...log,
    at: facts.at,
    database: facts.database,
    operator: facts.operator,
    report: reportPath,
  })
  await notifyTeam(
    config,
    {
      event: facts.outcome.ok ? 'rolled-back' : 'rollback-failed',
      action: log.action,
      text: withoutTimestamp(logLine),
      database: facts.database,
      operator: facts.operator,
      from: log.from,
      to: log.to,
      report: reportPath,
    },
    onLine,
  )
  return { reportPath, logLine }
}
