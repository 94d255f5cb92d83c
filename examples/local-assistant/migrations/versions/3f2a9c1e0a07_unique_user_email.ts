// Release 2: one account per email (the guide's "Constraint Violation" fix), while release 1
// keeps logging users in. Duplicate accounts are merged into the newest one:
// 1. a trigger sends every new session of a duplicate account to the surviving account,
//    so that no login during the merge points at a row about to be removed;
// 2. the existing sessions move to the survivor (remembered in user_sessions_repointed);
// 3. the duplicates move aside to users_strata_dups, and the unique constraint is added
//    from an index built CONCURRENTLY (op.dedupeAndAddUnique);
// 4. the trigger goes: with unique emails every account is its own survivor.
// The downgrade puts every row back where it was.
export const revision = '3f2a9c1e0a07'
export const downRevision = '3f2a9c1e0a06'
export const message = 'unique users.email, duplicates merged'

export async function upgrade(op) {
  await op.execute(`CREATE OR REPLACE FUNCTION user_sessions_to_surviving_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.user_id := coalesce(
    (SELECT max(s.id) FROM users u JOIN users s ON s.email = u.email WHERE u.id = NEW.user_id),
    NEW.user_id);
  RETURN NEW;
END
$$`)
  // OR REPLACE: dedupeAndAddUnique commits what came before it, so a re-run after an
  // interruption past that point meets the trigger.
  await op.execute(`CREATE OR REPLACE TRIGGER user_sessions_to_surviving_account BEFORE INSERT OR UPDATE OF user_id ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION user_sessions_to_surviving_account()`)
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
  await op.execute('DROP TRIGGER user_sessions_to_surviving_account ON user_sessions')
  await op.execute('DROP FUNCTION user_sessions_to_surviving_account()')
}

export async function downgrade(op) {
  await op.execute('DROP TRIGGER IF EXISTS user_sessions_to_surviving_account ON user_sessions')
  await op.execute('DROP FUNCTION IF EXISTS user_sessions_to_surviving_account()')
  await op.restoreDuplicates('users', 'uq_users_email')
  await op.execute(`UPDATE user_sessions s SET user_id = r.old_user_id
      FROM user_sessions_repointed r WHERE s.id = r.session_id`)
  await op.execute('DROP TABLE user_sessions_repointed')
}
