// Release 1: login sessions, looked up by token on every request (the guide's example).
export const revision = '3f2a9c1e0a02'
export const downRevision = '3f2a9c1e0a01'
export const message = 'add user_sessions'

export async function upgrade(op) {
  await op.createTable('user_sessions', [
    { name: 'id', type: 'bigint', identity: 'always', primaryKey: true },
    { name: 'user_id', type: 'bigint', nullable: false, references: { table: 'users', column: 'id' } },
    { name: 'token', type: 'text', nullable: false },
    { name: 'created_at', type: 'timestamptz', nullable: false, default: op.sql('now()') },
    { name: 'expires_at', type: 'timestamptz' },
  ])
  await op.createIndex('ix_user_sessions_token', 'user_sessions', ['token'])
  await op.createIndex('ix_user_sessions_user_id', 'user_sessions', ['user_id'])
}

export async function downgrade(op) {
  await op.dropIndex('ix_user_sessions_user_id')
  await op.dropIndex('ix_user_sessions_token')
  await op.dropTable('user_sessions')
}
