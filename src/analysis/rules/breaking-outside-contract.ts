import { defineRule, phaseDeclaration } from './rule.js'

export default defineRule({
  id: 'breaking-outside-contract',
  level: 'error',
  summary:
    'a breaking change belongs in a contract-phase migration, run only after every release stopped using what it removes',
  examples: {
    flagged: [{ sql: 'ALTER TABLE users DROP COLUMN old_column;', runner: true }],
    accepted: [
      { sql: 'ALTER TABLE users DROP COLUMN old_column;', runner: true, phase: 'contract' },
      { sql: 'ALTER TABLE users ADD COLUMN bio text;', runner: true },
    ],
  },
  check(context) {
    if (context.migration.revision === undefined || context.changeClass !== 'breaking') return []
    if (context.migration.phase === 'contract') return []
    const reason = context.statements.flatMap((s) => s.effects.changes).find((c) => c.class === 'breaking')
    return [
      {
        statement: context.statements.find((s) => s.effects.changes.some((c) => c.class === 'breaking')),
        message: `breaking change in a${context.migration.phase ? `n ${context.migration.phase}` : ' migration without a'} phase: ${reason?.text ?? ''}`,
        fix: `move it into its own migration with ${phaseDeclaration(context.migration, 'contract')}; strata deploy runs contract steps only after the new release is live`,
      },
    ]
  },
})
