import { lockRank } from '../lock-modes.js'
import { defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'missing-lock-timeout',
  level: 'error',
  summary:
    'a lock that blocks writes, requested with no lock_timeout, queues all traffic behind any long transaction',
  examples: {
    flagged: [
      'ALTER TABLE users ADD COLUMN bio text;',
      'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
    ],
    accepted: [
      "SET lock_timeout = '2s'; ALTER TABLE users ADD COLUMN bio text;",
      { sql: 'ALTER TABLE users ADD COLUMN bio text;', runner: true },
      'SELECT count(*) FROM users;',
    ],
  },
  check: perStatement((statement) => {
    if (statement.lockTimeoutMs) return undefined
    const locks = statement.effects.locks.filter(
      (lock) => lock.existing && lockRank(lock.mode) >= lockRank('SHARE UPDATE EXCLUSIVE'),
    )
    if (locks.length === 0) return undefined
    const strongest = locks.reduce((a, b) => (lockRank(b.mode) > lockRank(a.mode) ? b : a))
    // SHARE UPDATE EXCLUSIVE (CONCURRENTLY, VALIDATE) queues only DDL and autovacuum behind it.
    const blocksTraffic = lockRank(strongest.mode) >= lockRank('SHARE')
    return {
      statement,
      level: blocksTraffic ? undefined : 'warning',
      message: `waits for ${strongest.mode} on ${locks.map((l) => l.table).join(', ')} with no lock_timeout: while it waits behind a long transaction, ${blocksTraffic ? `every ${strongest.mode === 'ACCESS EXCLUSIVE' ? 'query' : 'write'} on the table queues behind it` : 'schema changes and autovacuum on the table queue behind it'}`,
      fix: [
        "SET lock_timeout = '5s';  -- before the statement; retry on failure",
        "Strata migrations get it from the runner: lock: { timeout: '5s', retries: 5 } in strata.config.ts, or export const lockTimeout = '5s'",
      ].join('\n'),
    }
  }),
})
