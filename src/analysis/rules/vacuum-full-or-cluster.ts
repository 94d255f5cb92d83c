import { defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'vacuum-full-or-cluster',
  level: 'error',
  summary: 'VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE: no reads or writes until done',
  examples: {
    flagged: ['VACUUM FULL users;', 'CLUSTER users USING users_pkey;'],
    accepted: ['VACUUM (ANALYZE) users;'],
  },
  check: perStatement((statement) => {
    const rewrite = statement.effects.rewrites.find((r) => r.why === 'VACUUM FULL' || r.why === 'CLUSTER')
    if (rewrite === undefined || !rewrite.existing) return undefined
    return {
      statement,
      message: `${rewrite.why} rewrites ${rewrite.table} under ACCESS EXCLUSIVE: the table is unavailable for the whole rewrite`,
      fix: 'reclaim space online with the pg_repack or pg_squeeze extension, or rebuild with TS: await op.rebuildTable(...)',
    }
  }),
})
