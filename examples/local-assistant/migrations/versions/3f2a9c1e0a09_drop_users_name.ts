// Release 2, phase 3 (contract): ONLY after every instance runs the new release, which
// reads and writes display_name alone. `strata deploy` runs this only with --phase contract.
export const revision = '3f2a9c1e0a09'
export const downRevision = '3f2a9c1e0a08'
export const message = 'drop users.name'
export const phase = 'contract'

export async function upgrade(op) {
  await op.execute('DROP TRIGGER IF EXISTS users_sync_display_name ON users')
  await op.execute('DROP FUNCTION IF EXISTS users_sync_display_name()')
  await op.dropColumn('users', 'name')
}

export async function downgrade(op) {
  await op.addColumn('users', { name: 'name', type: 'text' }, { ifNotExists: true })
  await op.backfill({
    table: 'users',
    set: { name: op.sql('display_name') },
    where: 'name IS NULL AND display_name IS NOT NULL',
    batchSize: 1000,
  })
  await op.execute(`CREATE OR REPLACE FUNCTION users_sync_display_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'INSERT' AND NEW.display_name IS NULL)
     OR (TG_OP = 'UPDATE' AND NEW.name IS DISTINCT FROM OLD.name
         AND NEW.display_name IS NOT DISTINCT FROM OLD.display_name) THEN
    NEW.display_name := NEW.name;
  END IF;
  RETURN NEW;
END
$$`)
  await op.execute(`CREATE TRIGGER users_sync_display_name BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_sync_display_name()`)
}
