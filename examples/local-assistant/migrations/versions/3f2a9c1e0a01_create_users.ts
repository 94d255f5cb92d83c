// Release 1: the assistant's accounts. The email index is not unique yet: the old
// sign-up form let the same address register twice (see 3f2a9c1e0a07).
export const revision = '3f2a9c1e0a01'
export const downRevision = null
export const message = 'create users'

export async function upgrade(op) {
  await op.createTable('users', [
    { name: 'id', type: 'bigint', identity: 'always', primaryKey: true },
    { name: 'email', type: 'text', nullable: false },
    { name: 'name', type: 'text' },
    { name: 'created_at', type: 'timestamptz', nullable: false, default: op.sql('now()') },
  ])
  await op.createIndex('ix_users_email', 'users', ['email'])
}

export async function downgrade(op) {
  await op.dropTable('users')
}
