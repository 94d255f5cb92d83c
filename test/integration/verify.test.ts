import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { withDatabase } from '../../src/db/connection-spec.js'
import { createTestDatabase, createTestRole, type TestDatabase, urlOf } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'
import { serverSpec } from '../helpers/servers.js'

/** The application's schema: what every verify test builds with its migrations. */
function schema(project: TestProject): void {
  project.sql('v1', {
    message: 'users and orders',
    up: `CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, age integer, mood mood DEFAULT 'happy');
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id integer REFERENCES users (id), total numeric(10,2) NOT NULL DEFAULT 0);
CREATE INDEX ix_orders_user ON orders (user_id);`,
    downSql: 'DROP TABLE orders; DROP TABLE users; DROP TYPE mood;',
  })
  project.sql('v2', {
    down: 'v1',
    message: 'order notes',
    up: 'ALTER TABLE orders ADD COLUMN note text;',
    downSql: 'ALTER TABLE orders DROP COLUMN note;',
  })
}

async function migrated(t: Parameters<typeof testProject>[0], config: Record<string, unknown> = {}) {
  const database = await createTestDatabase(t)
  const project = testProject(t, database, config)
  schema(project)
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  await database.query("INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com')")
  await database.query('INSERT INTO orders (user_id, total) VALUES (1, 10), (2, 20)')
  return { database, project }
}

/** Scratch databases verify built for this database and left behind (other tests run meanwhile). */
async function scratchDatabases(database: TestDatabase): Promise<number> {
  const row = await database.one(
    "SELECT count(*)::int AS n FROM pg_database WHERE starts_with(datname, 'strata_verify_' || $1 || '_')",
    [database.name],
  )
  return row.n
}

test('verify on a clean database: every check passes, and the scratch database is gone afterwards', async (t) => {
  const { database, project } = await migrated(t)
  const result = await project.cli(['verify'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  for (const line of [
    /✓ All tables accessible — 4 tables read as postgres/,
    /✓ All indexes present — \d+ indexes valid, all the migrations create are present/,
    /✓ Foreign key constraints valid — 1 foreign key, all validated/,
    /✓ No orphaned records — 1 foreign key checked; one anti-join per key/,
    /✓ Data types consistent — schema matches the migrations at v2 \(\d+ objects compared\)/,
    /✓ Sequences and integer keys far from their limits/,
    /✓ all checks passed/,
  ])
    assert.match(result.stdout, line)
  assert.equal(await scratchDatabases(database), 0)

  const json = await project.cli(['verify', '--json'])
  assert.equal(json.code, 0)
  const report = JSON.parse(json.stdout)
  assert.equal(report.ok, true)
  assert.deepEqual(
    report.checks.map((check: { id: string }) => check.id),
    ['tables-accessible', 'indexes', 'constraints-valid', 'orphans', 'schema-drift', 'sequences'],
  )
  assert.match(report.database, /^postgresql:\/\/postgres:\*\*\*@/)

  // Downgraded to base, only Strata's own tables are left: their sequence (the history's
  // id) is theirs, not drift.
  assert.equal((await project.cli(['downgrade', 'base', '--no-backup'])).code, 0)
  const atBase = await project.cli(['verify'])
  assert.equal(atBase.code, 0, atBase.stdout + atBase.stderr)
  assert.match(atBase.stdout, /✓ Data types consistent — schema matches the migrations at base/)
})

test('verify finds each failure built for real, and changes nothing', async (t) => {
  const { database, project } = await migrated(t)
  // An orphaned row behind a NOT VALID foreign key.
  await database.query('ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey')
  await database.query('INSERT INTO orders (user_id) VALUES (999)')
  await database.query(
    'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
  )
  // A column changed by hand, outside the migrations.
  await database.query('ALTER TABLE users ALTER COLUMN age TYPE bigint')
  // An invalid index from a failed concurrent unique build (two users share an age).
  await database.query('UPDATE users SET age = 30')
  await assert.rejects(
    database.query('CREATE UNIQUE INDEX CONCURRENTLY ix_users_age ON users (age)'),
    /could not create unique index/,
  )
  // An index the migrations create, dropped by hand.
  await database.query('DROP INDEX ix_orders_user')
  // A sequence near its maximum (users.id is an integer column).
  await database.query("SELECT setval('users_id_seq', 2000000000)")
  const before = await catalogFingerprint(database)

  const result = await project.cli(['verify'])
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const out = result.stdout
  assert.match(out, /✓ All tables accessible/)
  assert.match(out, /✗ All indexes present — 1 invalid, 1 missing of \d+ indexes/)
  assert.match(
    out,
    /public\.ix_users_age on users is INVALID.*DROP INDEX CONCURRENTLY "public"\."ix_users_age"/,
  )
  assert.match(out, /missing: CREATE INDEX ix_orders_user ON public\.orders USING btree \(user_id\)/)
  assert.match(out, /! Foreign key constraints valid — 1 constraint NOT VALID/)
  assert.match(out, /ALTER TABLE "public"\."orders" VALIDATE CONSTRAINT "orders_user_id_fkey"/)
  assert.match(out, /✗ No orphaned records — 1 orphaned row behind 1 foreign key/)
  assert.match(
    out,
    /orders_user_id_fkey: public\.orders\.user_id → public\.users\.id: 1 orphaned row .*user_id = 999/,
  )
  assert.match(out, /✗ Data types consistent — \d+ differences? from the migrations at v2/)
  assert.match(out, /users\.age: bigint in the database, integer in the migrations/)
  assert.match(
    out,
    /to keep these changes, `strata revision -m "\.\.\." --autogenerate` writes them as a migration/,
  )
  assert.match(out, /index ix_users_age: in the database, not created by the migrations/)
  assert.match(out, /✗ Sequences and integer keys far from their limits — 1 counter at or above 80\.0%/)
  assert.match(
    out,
    /sequence public\.users_id_seq \(public\.users\.id, integer\): 93\.1% used, 147,483,647 values left/,
  )
  assert.match(out, /✗ 4 checks failed, 1 warning/)
  assert.equal(await catalogFingerprint(database), before)
  assert.equal(await scratchDatabases(database), 0)

  const json = JSON.parse((await project.cli(['verify', '--json'])).stdout)
  assert.equal(json.ok, false)
  const orphans = json.checks.find((check: { id: string }) => check.id === 'orphans')
  assert.equal(orphans.status, 'fail')
  assert.equal(orphans.details.length, 1)
})

test('verify as an application role: a revoked privilege names the table and the GRANT; no CREATEDB is reported, and scratchUrl lifts it', async (t) => {
  const { database, project } = await migrated(t)
  const { name: role, password } = await createTestRole(t, { prefix: 'app' })
  await database.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`)
  await database.query(`REVOKE SELECT ON orders FROM ${role}`)
  const appUrl = urlOf({ ...database.spec, user: role, password })

  const result = await project.cli(['verify'], { DATABASE_URL: appUrl })
  assert.equal(result.code, 1, result.stdout + result.stderr)
  assert.match(result.stdout, new RegExp(`✗ All tables accessible — 1 table of 4 not readable as ${role}`))
  assert.match(
    result.stdout,
    new RegExp(
      `public\\.orders: SELECT not granted to ${role} \\(GRANT SELECT ON "public"\\."orders" TO "${role}"\\)`,
    ),
  )
  assert.match(
    result.stdout,
    new RegExp(`! Data types consistent — not compared: ${role} may not create databases`),
  )
  assert.match(
    result.stdout,
    /! No orphaned records — no orphans behind 0 foreign keys checked; 1 not checked for lack of privileges/,
  )
  assert.match(
    result.stdout,
    /public\.users_id_seq: no SELECT or USAGE privilege, so its position is unknown/,
  )
  assert.doesNotMatch(result.stdout + result.stderr, new RegExp(password))

  // With a server where Strata may create the scratch database, drift is compared again.
  const withScratch = testProject(t, database, {
    health: { scratchUrl: urlOf(withDatabase(serverSpec(16), 'postgres')) },
  })
  schema(withScratch)
  const compared = await withScratch.cli(['verify'], { DATABASE_URL: appUrl })
  assert.match(compared.stdout, /✓ Data types consistent — schema matches the migrations at v2/)
})

test('verify checks the grants of configured application roles, including sequences behind INSERT', async (t) => {
  const role = `svc_${randomBytes(4).toString('hex')}`
  const { database, project } = await migrated(t, {
    health: { roles: { [role]: ['SELECT', 'INSERT'] } },
  })
  await createTestRole(t, { name: role })
  await database.query(`GRANT USAGE ON SCHEMA public TO ${role}`)
  await database.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO ${role}`)
  await database.query(`REVOKE INSERT ON orders FROM ${role}`)
  const result = await project.cli(['verify'])
  assert.equal(result.code, 1)
  assert.match(result.stdout, /✗ Application roles granted — 2 missing grants/)
  assert.match(
    result.stdout,
    new RegExp(
      `${role}: INSERT on public\\.orders missing \\(GRANT INSERT ON "public"\\."orders" TO "${role}"\\)`,
    ),
  )
  assert.match(
    result.stdout,
    new RegExp(`${role}: USAGE on sequence public\\.users_id_seq missing, so its INSERTs fail`),
  )

  await database.query(`GRANT INSERT ON orders TO ${role}`)
  await database.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`)
  const fixed = await project.cli(['verify'])
  assert.equal(fixed.code, 0, fixed.stdout)
  assert.match(fixed.stdout, /✓ Application roles granted — 1 role holds? their grants/)
})

test('verify batches the orphan check on large tables and says so', async (t) => {
  const { database, project } = await migrated(t, { health: { orphanBatchRows: 1000 } })
  await database.query('INSERT INTO orders (user_id, total) SELECT 1, g FROM generate_series(1, 6000) g')
  await database.query('ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey')
  await database.query('INSERT INTO orders (user_id) VALUES (4242), (4243)')
  await database.query(
    'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
  )
  await database.query('ANALYZE orders')
  const result = await project.cli(['verify'])
  assert.equal(result.code, 1)
  assert.match(
    result.stdout,
    /2 orphaned rows \(anti-join in \d+ batches of \d+ pages \(TID range scans\)\), e\.g\. user_id = 4242; 4243/,
  )
})

/** Columns, types, indexes and constraints of the public schema, to prove verify changed nothing. */
async function catalogFingerprint(database: TestDatabase): Promise<string> {
  const { rows } = await database.query(
    `SELECT (SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY 1) FROM information_schema.columns WHERE table_schema = 'public')
         || (SELECT string_agg(indexname || indexdef, ',' ORDER BY 1) FROM pg_indexes WHERE schemaname = 'public')
         || (SELECT string_agg(conname || convalidated, ',' ORDER BY 1) FROM pg_constraint WHERE connamespace = 'public'::regnamespace)
         || (SELECT count(*) FROM orders)::text AS fingerprint`,
  )
  return rows[0]!.fingerprint
}

test("verify explains a partitioned table's invalid index (an interrupted partition-by-partition build) with a fix that runs", async (t) => {
  const { database, project } = await migrated(t)
  await database.query(`CREATE TABLE events (at int NOT NULL, kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
    CREATE INDEX ix_events_kind ON ONLY events (kind);
    CREATE INDEX ix_events_kind_events_a ON events_a (kind);
    ALTER INDEX ix_events_kind ATTACH PARTITION ix_events_kind_events_a`)
  const verify = await project.cli(['verify'])
  assert.equal(verify.code, 1)
  const line = verify.stdout.split('\n').find((text) => text.includes('ix_events_kind on'))!
  assert.match(
    line,
    /public\.ix_events_kind on the partitioned table events is INVALID until an index of each partition is attached; none attached yet for events_b\./,
  )
  assert.doesNotMatch(line, /DROP INDEX CONCURRENTLY|slows writes/)
  assert.match(line, /Or drop it: DROP INDEX "public"\."ix_events_kind" \(not CONCURRENTLY/)
  // The statements it offers complete the index.
  const fix = /, or: (.*) Or drop it/.exec(line)![1]!
  for (const statement of fix.split(/;\s*/).filter(Boolean)) await database.query(statement)
  const parent = await database.one(
    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_events_kind'::regclass",
  )
  assert.equal(parent.indisvalid, true)
})

test('verify compares functions, procedures, triggers, policies and row-level security, and names what changed by hand', async (t) => {
  const { database, project } = await migrated(t)
  project.sql('v3', {
    down: 'v2',
    message: 'audit trigger and tenant policy',
    up: `CREATE FUNCTION touch_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := coalesce(NEW.note, 'touched');
  RETURN NEW;
END $$;
CREATE PROCEDURE archive_orders(keep_days integer) LANGUAGE sql AS $$ DELETE FROM orders WHERE false $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_order();
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_own ON users FOR SELECT USING (email = current_user);`,
    downSql: `DROP POLICY users_own ON users; ALTER TABLE users DISABLE ROW LEVEL SECURITY;
DROP TRIGGER orders_touch ON orders; DROP PROCEDURE archive_orders(integer); DROP FUNCTION touch_order();`,
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const clean = await project.cli(['verify'])
  assert.equal(clean.code, 0, clean.stdout)
  assert.match(clean.stdout, /✓ Data types consistent — schema matches the migrations at v3/)

  // Each changed by hand, as an operator fixing production at 3 a.m. would.
  await database.query(`CREATE OR REPLACE FUNCTION touch_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := coalesce(NEW.note, 'hotfix');
  RETURN NEW;
END $$`)
  await database.query('DROP PROCEDURE archive_orders(integer)')
  await database.query('CREATE FUNCTION debug_dump(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 $$')
  await database.query('DROP TRIGGER orders_touch ON orders')
  await database.query(
    'CREATE TRIGGER orders_touch_late AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_order()',
  )
  await database.query('ALTER POLICY users_own ON users USING (true)')
  await database.query('ALTER TABLE users FORCE ROW LEVEL SECURITY')
  await database.query("COMMENT ON COLUMN orders.note IS 'free text'")
  await database.query('CREATE DOMAIN positive AS integer CHECK (VALUE > 0)')

  const result = await project.cli(['verify'])
  assert.equal(result.code, 1, result.stdout + result.stderr)
  const out = result.stdout
  assert.match(
    out,
    /function touch_order\(\): definitions differ from line \d+: `NEW.note := coalesce\(NEW.note, 'hotfix'\);` in the database, `NEW.note := coalesce\(NEW.note, 'touched'\);` in the migrations/,
  )
  assert.match(
    out,
    /procedure archive_orders\(IN keep_days integer\): created by the migrations, missing from the database/,
  )
  assert.match(out, /function debug_dump\(integer\): in the database, not created by the migrations/)
  assert.match(out, /trigger orders\.orders_touch: created by the migrations, missing from the database/)
  assert.match(
    out,
    /trigger orders\.orders_touch_late: in the database, not created by the migrations \(CREATE TRIGGER orders_touch_late AFTER UPDATE ON public\.orders/,
  )
  assert.match(
    out,
    /policy users\.users_own: FOR SELECT TO public USING \(true\) in the database, FOR SELECT TO public USING \(\(email = CURRENT_USER\)\) in the migrations/,
  )
  assert.match(out, /users: row-level security enabled and forced in the database, enabled in the migrations/)
  assert.match(out, /comment on orders\.note: in the database, not created by the migrations \('free text'\)/)
  assert.match(
    out,
    /type positive: in the database, not created by the migrations \(domain AS integer CONSTRAINT positive_check CHECK \(\(VALUE > 0\)\)\)/,
  )
  assert.match(out, /✗ Data types consistent — 9 differences from the migrations at v3/)
})
