import { destroyedInOrder } from '../copied-out.js'
import { defineRule } from './rule.js'

export default defineRule({
  id: 'downgrade-destroys-data',
  level: 'warning',
  summary: 'the downgrade drops data that was written after the upgrade; rolling back loses it',
  examples: {
    flagged: [
      {
        sql: 'ALTER TABLE users ADD COLUMN bio text;',
        runner: true,
        downgrade: 'ALTER TABLE users DROP COLUMN bio;',
      },
    ],
    accepted: [
      { sql: 'CREATE INDEX CONCURRENTLY ix ON users (email);', downgrade: 'DROP INDEX CONCURRENTLY ix;' },
      {
        // The rows set aside go back before their table is dropped.
        sql: 'CREATE TABLE users_dups (LIKE users);',
        downgrade: 'INSERT INTO users SELECT * FROM users_dups;\nDROP TABLE users_dups;',
      },
    ],
  },
  check(context) {
    const destroying = destroyedInOrder(context.downgrade ?? []).filter((item) => item.destroys.length > 0)
    return destroying.map(({ statement, destroys }) => ({
      statement,
      message: `the downgrade destroys ${destroys.join(', ')}: data written since the upgrade is lost on rollback`,
      fix: 'back up before rolling back (strata deploy and strata rollback do), or keep the data: rename instead of drop in the downgrade',
    }))
  },
})
