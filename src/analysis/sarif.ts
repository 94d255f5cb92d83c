import { repositoryPath } from '../util/display-path.js'
import { STRATA_VERSION } from '../version.js'
import type { Finding } from './analyse-migration.js'
import type { CheckReport } from './check.js'
import { BUILT_IN, multipleHeads, RULES } from './rules/index.js'
import { UNREADABLE_RULE, unreadableFinding } from './unreadable-migration.js'

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const

/**
 * The report as SARIF 2.1.0, the format code-review tools (GitHub code scanning,
 * GitLab, Azure DevOps) annotate pull requests from. Suppressed findings stay in,
 * marked with their reason, as SARIF intends.
 */
export function toSarif(report: CheckReport, rootDir: string = process.cwd()): object {
  const rules = [
    ...[...RULES, ...BUILT_IN, multipleHeads].map((rule) => ({
      id: rule.id,
      shortDescription: { text: rule.summary },
      defaultConfiguration: { level: SARIF_LEVEL[rule.level] },
    })),
    {
      id: UNREADABLE_RULE,
      shortDescription: { text: 'a migration that cannot be read or parsed, so it was not analysed' },
      defaultConfiguration: { level: 'error' },
    },
  ]
  const result = (finding: Finding, file: string | undefined) => ({
    ruleId: finding.rule,
    level: SARIF_LEVEL[finding.level],
    message: { text: `${finding.message}\nSafe alternative:\n${finding.fix}` },
    ...(file === undefined
      ? {}
      : {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: repositoryPath(rootDir, file) },
                ...(finding.line === undefined ? {} : { region: { startLine: finding.line } }),
              },
            },
          ],
        }),
    ...(finding.suppressed === undefined
      ? {}
      : { suppressions: [{ kind: 'inSource', justification: finding.suppressed }] }),
  })
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'strata', version: STRATA_VERSION, rules } },
        results: [
          ...report.migrations.flatMap((migration) =>
            migration.findings.map((f) => result(f, migration.file)),
          ),
          ...report.project.map((f) => result(f, undefined)),
          ...report.unreadable.map((m) => result(unreadableFinding(m), m.file)),
        ],
      },
    ],
  }
}
