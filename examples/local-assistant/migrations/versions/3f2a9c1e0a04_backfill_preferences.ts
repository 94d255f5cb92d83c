// Release 2, phase 2 (migrate): every existing user gets empty preferences, in batches
// of 1000 rows, each its own short transaction (the guide's "UPDATE users SET
// preferences = '{}'", without locking the whole table for the length of the update).
export const revision = '3f2a9c1e0a04'
export const downRevision = '3f2a9c1e0a03'
export const message = 'backfill users.preferences'
export const phase = 'migrate'

export async function upgrade(op) {
  await op.backfill({
    table: 'users',
    set: { preferences: op.sql("'{}'::jsonb") },
    where: 'preferences IS NULL',
    batchSize: 1000,
  })
}

export async function downgrade() {
  // Nothing to undo here: the values go with the column when 3f2a9c1e0a03 is downgraded,
  // and preferences users set since then must not be wiped by a rollback of this step.
}
