import { lockRank } from '../lock-modes.js'
import { andDowngrade, defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'lock-held-too-long',
  level: 'warning',
  summary: 'a blocking lock taken early in a transaction stays held while later statements do slow work',
  examples: {
    flagged: [
      {
        sql: "ALTER TABLE users ADD COLUMN preferences jsonb; UPDATE users SET preferences = '{}' WHERE preferences IS NULL;",
        runner: true,
      },
      // The rollback of a contract step that dropped a column: put back and refilled under one lock.
      {
        sql: 'ALTER TABLE users DROP COLUMN name;',
        runner: true,
        downgrade: 'ALTER TABLE users ADD COLUMN name text; UPDATE users SET name = display_name;',
      },
    ],
    accepted: [
      "ALTER TABLE users ADD COLUMN preferences jsonb; UPDATE users SET preferences = '{}' WHERE id BETWEEN 1 AND 100;",
      { sql: 'ALTER TABLE users ADD COLUMN a int; ALTER TABLE users ADD COLUMN b int;', runner: true },
    ],
  },
  check: andDowngrade(
    perStatement((statement, context) => {
      if (statement.transaction === undefined) return undefined
      const slow = slowWork(statement)
      if (slow === undefined) return undefined
      // The strongest blocking lock an earlier statement of the same transaction still holds.
      const earlier = context.statements.filter(
        (s) => s.index < statement.index && s.transaction === statement.transaction,
      )
      for (const holder of earlier) {
        const lock = holder.effects.locks.find((l) => l.existing && lockRank(l.mode) >= lockRank('SHARE'))
        if (lock === undefined) continue
        return {
          statement,
          message: `${slow} while ${lock.mode} on ${lock.table}${holder.line ? ` (taken at line ${holder.line})` : ''} is still held: ${lock.mode === 'ACCESS EXCLUSIVE' ? 'reads and writes' : 'writes'} wait for all of it`,
          fix: 'commit in between: split the schema change and the slow work into separate migrations, or in TS run the slow part through op.backfill / op.autocommit',
        }
      }
      return undefined
    }),
  ),
})

function slowWork(statement: { effects: import('../effects.js').StatementEffects }): string | undefined {
  const { effects } = statement
  const rewrite = effects.rewrites.find((w) => w.existing)
  if (rewrite) return `rewrites ${rewrite.table}`
  const scan = effects.scans.find((w) => w.existing)
  if (scan) return `scans ${scan.table}`
  const index = effects.indexBuilds.find((w) => w.existing)
  if (index) return `builds an index on ${index.table}`
  const write = effects.rowWrites.find((w) => w.existing && w.whole)
  if (write) return `${write.verb === 'DELETE' ? 'deletes' : 'updates'} every row of ${write.table}`
  return undefined
}
