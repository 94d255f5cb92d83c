import { writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileTimestamp } from '../backup/backup-names.js'
import { describeSavedData } from '../backup/saved-data.js'
import { ensureConfiguredDirectory } from '../util/ensure-directory.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { revisionsText } from './production-log.js'
import type { RollbackOutcome } from './rollback.js'

/** Everything the report states, gathered while the deploy and the rollback ran. */
export interface RollbackReportFacts {
  readonly at: Date
  readonly database: string
  readonly operator: string
  /** The migrations the deploy applied or attempted: `abc123_add_preferences` style. */
  readonly migrations: readonly { readonly revision: string; readonly file: string }[]
  /** One sentence: what made the deploy roll back. */
  readonly reason: string
  /** The real error text and failing checks, verbatim. */
  readonly rootCause: readonly string[]
  readonly fromRows: readonly string[]
  /** What happened before the rollback: deploy start, backup, upgrade steps. */
  readonly timeline: readonly string[]
  readonly outcome: RollbackOutcome
}

/** The resolution line: where the database ended, and how. */
export function resolutionOf(facts: RollbackReportFacts): string {
  const { outcome } = facts
  const to = revisionsText(outcome.rowsAfter ?? facts.fromRows)
  if (outcome.ok && outcome.method === 'downgrade')
    return `Rolled back to ${to} by downgrade; no data restored${outcome.dataBackupId ? `; the data the downgrade destroyed is kept in ${describeSavedData(outcome.dataBackupId)}` : ''}`
  if (outcome.ok && outcome.method === 'restore')
    return `Restored the pre-deploy backup (at ${to}); the database as it was is kept as ${outcome.keptAs}`
  return `NOT resolved: the database needs a person. ${outcome.restoreError ?? outcome.downgradeError ?? ''}`.trim()
}

/**
 * The guide's rollback report, filled from what happened: date, migration, reason,
 * resolution, the actions taken in order, the root cause with the real error, and a
 * prevention section left for the people who know why.
 */
export function renderRollbackReport(facts: RollbackReportFacts): string {
  const migration =
    facts.migrations.length === 0
      ? 'none applied'
      : facts.migrations.map((m) => `${m.revision}_${slugOf(m.file, m.revision)}`).join(', ')
  const actions = [...facts.timeline, ...facts.outcome.actions]
  return [
    '# Rollback Report',
    '',
    `**Date**: ${facts.at.toString()}`,
    `**Database**: ${facts.database}`,
    `**Operator**: ${facts.operator}`,
    `**Migration**: ${migration}`,
    `**Reason**: ${facts.reason}`,
    `**Resolution**: ${resolutionOf(facts)}`,
    '',
    '## Actions Taken',
    '',
    ...actions.map((action, index) => `${index + 1}. ${action}`),
    '',
    '## Root Cause',
    '',
    ...(facts.rootCause.length === 0
      ? ['(no error text was captured)']
      : facts.rootCause.map((line) => `    ${line}`)),
    '',
    '## Prevention',
    '',
    '_For the people involved to fill in: why the rehearsal and the checks did not catch this,',
    'and what test, check or review would have._',
    '',
  ].join('\n')
}

/** Writes `rollback_<YYYYMMDD_HHMMSS>.md` (with `_2`... when taken) and returns its path. */
export function writeRollbackReport(directory: string, facts: RollbackReportFacts): string {
  ensureConfiguredDirectory(directory, 'deploy.reportsDirectory')
  const stem = `rollback_${fileTimestamp(facts.at)}`
  // The root cause quotes errors verbatim; a statement in one may carry a password.
  const text = maskSecrets(renderRollbackReport(facts))
  // Created exclusively: two deploys of other databases rolling back in the same second
  // each keep their own report.
  for (let n = 1; ; n += 1) {
    const path = join(directory, n === 1 ? `${stem}.md` : `${stem}_${n}.md`)
    try {
      writeFileSync(path, text, { flag: 'wx' })
      return path
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

/** `versions/abc123_add_user_sessions.sql` → `add_user_sessions`. */
function slugOf(file: string, revision: string): string {
  const name = basename(file).replace(/\.(ts|js|mjs|sql)$/, '')
  return name.startsWith(`${revision}_`) ? name.slice(revision.length + 1) : name
}
