// Release 2, phase 1 (expand): `display_name` replaces `name`. Until every instance runs
// the new release, the old one still writes `name`; the trigger copies those writes into
// `display_name`, so nothing written during the rollout is lost.
export const revision = '3f2a9c1e0a05'
export const downRevision = '3f2a9c1e0a04'
export const message = 'add users.display_name, kept in sync with name'
export const phase = 'expand'

export async function upgrade(op) {
  await op.addColumn('users', { name: 'display_name', type: 'text' }, { ifNotExists: true })
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

export async function downgrade(op) {
  await op.execute('DROP TRIGGER IF EXISTS users_sync_display_name ON users')
  await op.execute('DROP FUNCTION IF EXISTS users_sync_display_name()')
  await op.dropColumn('users', 'display_name')
}
