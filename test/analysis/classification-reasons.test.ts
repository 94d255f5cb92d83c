import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'

/** The one-line reason of a migration's class, as `strata check` prints it. */
async function reasonOf(sql: string): Promise<string> {
  return (await analyseSql(sql, { runner: true })).classification.reason
}

test("a recipe's steps do not become its reason: the re-run guard, the helper check, the NOT NULL of a new column", async () => {
  // op.addForeignKeySafely: DROP IF EXISTS first, so that a re-run can add it again.
  assert.equal(
    await reasonOf(`ALTER TABLE orders DROP CONSTRAINT IF EXISTS fk_orders_user;
      ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
      ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user;`),
    'backward compatible: adds foreign key fk_orders_user from orders to users',
  )
  // op.addNotNullColumn: a helper check proves NOT NULL, then goes.
  assert.equal(
    await reasonOf(`ALTER TABLE users ADD COLUMN prefs jsonb DEFAULT '{}';
      ALTER TABLE users DROP CONSTRAINT IF EXISTS users_prefs_nn;
      ALTER TABLE users ADD CONSTRAINT users_prefs_nn CHECK (prefs IS NOT NULL) NOT VALID;
      ALTER TABLE users VALIDATE CONSTRAINT users_prefs_nn;
      ALTER TABLE users ALTER COLUMN prefs SET NOT NULL;
      ALTER TABLE users DROP CONSTRAINT users_prefs_nn;`),
    'additive: adds column users.prefs (jsonb)',
  )
  // op.changeColumnType's swap: one transaction, no breaking rename.
  assert.match(
    await reasonOf(`ALTER TABLE users ADD COLUMN age_new bigint;
      ALTER TABLE users RENAME COLUMN age TO age_old;
      ALTER TABLE users RENAME COLUMN age_new TO age;`),
    /^backward compatible: swaps column users\.age for age_new in one transaction/,
  )
  // The rename rule's own fix: the old name stays as a view.
  assert.match(
    await reasonOf('ALTER TABLE users RENAME TO accounts; CREATE VIEW users AS SELECT * FROM accounts;'),
    /^backward compatible: renames table users to accounts and keeps users as a view in the same transaction/,
  )
})

test('a helper trigger created and dropped by the migration is a step; a drop of data heads its class', async () => {
  assert.equal(
    await reasonOf(`CREATE FUNCTION repoint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER repoint BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION repoint();
      CREATE UNIQUE INDEX CONCURRENTLY uq_users_email_idx ON users (email);
      ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING INDEX uq_users_email_idx;
      DROP TRIGGER repoint ON sessions;
      DROP FUNCTION repoint();`),
    'backward compatible: adds unique constraint uq_users_email on users',
  )
  // A contract step: the function a trigger called goes first, the column is what matters.
  assert.match(
    await reasonOf(
      'DROP TRIGGER sync_name ON users; DROP FUNCTION sync_name(); ALTER TABLE users DROP COLUMN name;',
    ),
    /^breaking: drops column users\.name/,
  )
})

test('the same statements that change what a release sees keep their class', async () => {
  assert.equal(
    await reasonOf('ALTER TABLE orders DROP CONSTRAINT fk_orders_user;'),
    'backward compatible: drops constraint fk_orders_user on orders',
  )
  assert.equal(
    await reasonOf('ALTER TABLE users ALTER COLUMN email SET NOT NULL;').then(
      (reason) => reason.split(';')[0],
    ),
    'backward compatible: makes users.email NOT NULL',
  )
  assert.match(
    await reasonOf('ALTER TABLE users RENAME COLUMN age TO age_old;'),
    /^breaking: renames column users\.age to age_old/,
  )
})

test('a breaking change in its contract phase needs no downtime, unless its locks block traffic while it rewrites', async () => {
  const drop = await analyseSql('ALTER TABLE users DROP COLUMN legacy;', { runner: true, phase: 'contract' })
  assert.equal(drop.classification.class, 'breaking')
  assert.equal(drop.classification.downtime, 'none')
  assert.equal(drop.classification.risk, 'high', 'a rollback cannot bring the column back')
  assert.match(
    drop.classification.reason,
    /; no downtime as a contract step, run once no instance of that release is left$/,
  )
  // Outside a contract phase, the guide's table: downtime required.
  assert.equal(
    (await analyseSql('ALTER TABLE users DROP COLUMN legacy;', { runner: true })).classification.downtime,
    'required',
  )
  // A rewrite under ACCESS EXCLUSIVE blocks everyone, contract phase or not.
  const rewrite = await analyseSql('ALTER TABLE users DROP COLUMN legacy, ALTER COLUMN id TYPE text;', {
    runner: true,
    phase: 'contract',
  })
  assert.equal(rewrite.classification.class, 'breaking')
  assert.equal(rewrite.classification.downtime, 'minimal')
})

test('a dropped primary key is breaking (the running release upserts on it); one replaced in the same migration is not', async () => {
  assert.equal(
    await reasonOf('ALTER TABLE users DROP CONSTRAINT users_pkey;'),
    'breaking: drops the primary key of users: INSERT ... ON CONFLICT on its columns in the previous release fails',
  )
  // The key moved to an index built beforehand, in one statement or two.
  // (ADD PRIMARY KEY makes the columns NOT NULL: a scan, unless they are already.)
  assert.match(
    await reasonOf(
      'ALTER TABLE users DROP CONSTRAINT users_pkey, ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_bigint_key;',
    ),
    /^backward compatible: replaces the primary key of users; scans users/,
  )
  assert.match(
    await reasonOf(
      'ALTER TABLE app.users DROP CONSTRAINT users_pkey; ALTER TABLE app.users ADD PRIMARY KEY USING INDEX users_new_key;',
    ),
    /^backward compatible: replaces the primary key of app\.users;/,
  )
  // Another constraint, or the key of a table the migration created, stays as it was.
  assert.equal(
    await reasonOf('ALTER TABLE users DROP CONSTRAINT users_email_key;'),
    'backward compatible: drops constraint users_email_key on users',
  )
  assert.match(
    await reasonOf('CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t DROP CONSTRAINT t_pkey;'),
    /^additive: /,
  )
})

test('a view dropped and made again in the same transaction is not a breaking change; one only dropped is', async () => {
  // What a column's new type requires of the views that read it (autogenerate writes it so).
  assert.equal(
    await reasonOf(`DROP VIEW active_users;
      ALTER TABLE users ALTER COLUMN note TYPE bigint;
      CREATE VIEW active_users AS SELECT id, note FROM users WHERE active;`),
    'data transformation: changes the type of users.note to bigint, rewriting the table; rewrites users under ACCESS EXCLUSIVE',
  )
  assert.equal(
    await reasonOf(`DROP VIEW active_users;
      CREATE VIEW active_users AS SELECT id, note, email FROM users WHERE active;`),
    'backward compatible: drops view active_users and makes it again in the same transaction: its readers find it at the commit',
  )
  assert.match(
    await reasonOf(`DROP MATERIALIZED VIEW user_counts;
      CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) FROM users;`),
    /^backward compatible: drops view user_counts and makes it again/,
  )
  assert.equal(await reasonOf('DROP VIEW active_users;'), 'breaking: drops view active_users')
  assert.equal(
    await reasonOf('DROP VIEW active_users; CREATE VIEW other_users AS SELECT id FROM users;'),
    'breaking: drops view active_users',
  )
})

test('a primary key on columns already NOT NULL scans nothing; on columns that may hold NULL it scans', async () => {
  const scans = async (sql: string) =>
    (await analyseSql(sql, { runner: true })).statements.flatMap((statement) => statement.scans)
  // The online form: NOT NULL proven first, the index built CONCURRENTLY, the key made from it.
  const proven = await analyseSql(
    `ALTER TABLE events ALTER COLUMN id SET NOT NULL;
     CREATE UNIQUE INDEX events_id_idx ON events (id);
     ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;`,
    { runner: true },
  )
  assert.deepEqual(proven.statements[2]!.scans, [])
  assert.match(proven.statements[2]!.notes.join('\n'), /the key's columns are NOT NULL already: no scan/)
  assert.deepEqual(await scans('ALTER TABLE events ADD PRIMARY KEY (id, created_at); '), [
    'events: checks the key columns for NULL',
  ])
  assert.equal(
    (await scans('CREATE TABLE t (id int NOT NULL); ALTER TABLE t ADD PRIMARY KEY (id);')).length,
    0,
  )
})

test('a sequence renamed out of the way and dropped in the same transaction is the drop, not a breaking rename', async () => {
  // A serial column made an identity, as autogenerate and diff --sql write it.
  assert.equal(
    await reasonOf(`ALTER TABLE items ALTER COLUMN id DROP DEFAULT;
      ALTER SEQUENCE items_id_seq OWNED BY NONE;
      ALTER SEQUENCE items_id_seq RENAME TO items_id_seq_strata_old;
      ALTER TABLE items ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
      SELECT setval(pg_get_serial_sequence('items', 'id'), last_value, is_called) FROM items_id_seq_strata_old;
      DROP SEQUENCE items_id_seq_strata_old;`),
    'backward compatible: drops the default of items.id',
  )
  assert.equal(
    await reasonOf('ALTER SEQUENCE items_id_seq RENAME TO item_ids;'),
    'breaking: renames sequence items_id_seq to item_ids',
  )
})
