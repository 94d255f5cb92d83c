// Release 2: the session sweeper looks sessions up by expiry. Built CONCURRENTLY, so
// logins keep writing sessions while it builds; that needs no surrounding transaction.
export const revision = '3f2a9c1e0a08'
export const downRevision = '3f2a9c1e0a07'
export const message = 'index user_sessions.expires_at concurrently'
export const transactional = false

export async function upgrade(op) {
  await op.createIndex('ix_user_sessions_expires_at', 'user_sessions', ['expires_at'], { concurrently: true })
}

export async function downgrade(op) {
  await op.dropIndex('ix_user_sessions_expires_at', { concurrently: true, ifExists: true })
}
