// Release 2: one account per email (the guide's "Constraint Violation" fix). Duplicate
// accounts are merged into the newest one: their sessions move to it first (remembered
// in user_sessions_repointed), then the duplicates move aside to users_strata_dups and
// the unique constraint is added from an index built CONCURRENTLY. The downgrade puts
// every row back where it was.
export const revision = '3f2a9c1e0a07'
export const downRevision = '3f2a9c1e0a06'
export const message = 'unique users.email, duplicates merged'

export async function upgrade(op) {
  await op.execute(
    'CREATE TABLE IF NOT EXISTS user_sessions_repointed (session_id bigint PRIMARY KEY, old_user_id bigint NOT NULL)',
  )
  await op.execute(`WITH survivors AS (
      SELECT id, first_value(id) OVER (PARTITION BY email ORDER BY id DESC) AS keep_id FROM users
    ), moved AS (
      UPDATE user_sessions s SET user_id = v.keep_id FROM survivors v
       WHERE s.user_id = v.id AND v.id <> v.keep_id
      RETURNING s.id, v.id AS old_user_id
    )
    INSERT INTO user_sessions_repointed SELECT id, old_user_id FROM moved ON CONFLICT DO NOTHING`)
  await op.dedupeAndAddUnique('users', ['email'], { name: 'uq_users_email', keep: 'id DESC' })
}

export async function downgrade(op) {
  await op.restoreDuplicates('users', 'uq_users_email')
  await op.execute(`UPDATE user_sessions s SET user_id = r.old_user_id
      FROM user_sessions_repointed r WHERE s.id = r.session_id`)
  await op.execute('DROP TABLE user_sessions_repointed')
}
