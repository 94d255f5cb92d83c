import { defineRule } from './rule.js'

export default defineRule({
  id: 'missing-downgrade',
  level: 'warning',
  summary:
    'a migration without a downgrade cannot be rolled back: `strata downgrade` and automatic rollback stop at it',
  examples: {
    flagged: [{ sql: 'CREATE TABLE t (a int);', runner: true, downgrade: null }],
    accepted: [{ sql: 'CREATE TABLE t (a int);', runner: true, downgrade: 'DROP TABLE t;' }],
  },
  check(context) {
    if (context.migration.hasDowngrade !== false) return []
    return [
      {
        message: `${context.migration.id} has no downgrade: a failed deploy cannot roll back past it`,
        fix:
          context.migration.file?.endsWith('.sql') === true
            ? 'add a "-- migrate:down" section that undoes the upgrade'
            : 'export async function downgrade(op) { ... } that undoes the upgrade',
      },
    ]
  },
})
