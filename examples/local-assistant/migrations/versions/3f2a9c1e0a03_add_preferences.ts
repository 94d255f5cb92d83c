// Release 2, phase 1 (expand): a nullable column, so that the old release keeps working.
// PostgreSQL adds it without rewriting the table.
export const revision = '3f2a9c1e0a03'
export const downRevision = '3f2a9c1e0a02'
export const message = 'add users.preferences'
export const phase = 'expand'

export async function upgrade(op) {
  await op.addColumn('users', { name: 'preferences', type: 'jsonb' }, { ifNotExists: true })
}

export async function downgrade(op) {
  await op.dropColumn('users', 'preferences')
}
