/**
 * `strata check`'s safety analysis as data. Its report is named `SafetyReport` here
 * (the health checks' report is `CheckReport`).
 */
export type { Finding, MigrationReport, StatementReport } from './analyse-migration.js'
export type { CheckOptions as SafetyCheckOptions, CheckReport as SafetyReport } from './check.js'
export { checkMigrations } from './check.js'
export type { Classification } from './classify.js'
export { toMarkdown } from './markdown-report.js'
export { toSarif } from './sarif.js'
export type { UnreadableMigration } from './unreadable-migration.js'
