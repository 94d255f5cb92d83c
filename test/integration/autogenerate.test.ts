import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { autogenerateRevision } from '../../src/autogenerate/index.js'
import { loadConfig } from '../../src/config/load-config.js'
import { loadMigrations } from '../../src/graph/index.js'
import { createTestDatabase, createTestRole, urlOf } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'

function schema(project: TestProject): void {
  project.sql('g1', {
    message: 'users and orders',
    up: `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, nickname text, country text);
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(12,2) NOT NULL DEFAULT 0);
CREATE TABLE legacy_a (id int PRIMARY KEY);
CREATE TABLE legacy_b (id int PRIMARY KEY, a_id int REFERENCES legacy_a (id));
CREATE TYPE mood AS ENUM ('calm', 'angry');`,
    downSql: 'DROP TABLE legacy_b, legacy_a, orders, users; DROP TYPE mood;',
  })
}

const generatedFiles = (project: TestProject) =>
  readdirSync(join(project.dir, 'migrations', 'versions')).filter((file) => !file.startsWith('g1'))

/** The text of the generated migration whose file name ends with `suffix`. */
const generatedFile = (project: TestProject, suffix: string) =>
  readFileSync(
    join(
      project.dir,
      'migrations',
      'versions',
      generatedFiles(project).find((name) => name.endsWith(suffix))!,
    ),
    'utf8',
  )

test('revision --autogenerate turns changes made by hand into a migration, proves it on a scratch database and stamps the database', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  schema(project)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query("INSERT INTO users (email) VALUES ('a@example.com')")

  const nothing = await project.cli(['revision', '--autogenerate', '-m', 'nothing'])
  assert.equal(nothing.code, 0, nothing.stderr)
  assert.match(nothing.stdout, /✓ No changes: \S+ matches its migrations at g1; nothing written/)
  assert.deepEqual(generatedFiles(project), [])

  // What a developer does in psql over an afternoon.
  await db.query(`ALTER TABLE users ADD COLUMN phone varchar(20);
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users ALTER COLUMN email TYPE varchar(320);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
ALTER TYPE mood ADD VALUE 'happy' BEFORE 'calm';
CREATE TYPE status AS ENUM ('new', 'paid');
ALTER TABLE orders ADD COLUMN status status NOT NULL DEFAULT 'new';
ALTER TABLE orders ALTER COLUMN total SET DEFAULT 1;
CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL UNIQUE CHECK (name <> ''), order_id bigint REFERENCES orders (id) ON DELETE CASCADE);
DROP TABLE legacy_b, legacy_a;
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE status = 'paid';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := NEW.total; RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT USING (user_id = 1);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY, order_id bigint REFERENCES public.orders (id));
CREATE EXTENSION citext;
ALTER TABLE tags ADD COLUMN label citext;
COMMENT ON TABLE tags IS 'what a customer''s order is filed under';
COMMENT ON COLUMN users.phone IS 'E.164';
COMMENT ON VIEW paid_orders IS 'for billing';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
CREATE DOMAIN email_address AS text NOT NULL CONSTRAINT has_at CHECK (VALUE LIKE '%@%');
CREATE TYPE money_pair AS (amount numeric(12,2), currency char(3));
ALTER TABLE users ADD COLUMN backup_email email_address DEFAULT 'x@example.com';
ALTER TABLE orders ADD COLUMN paid money_pair;
CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user ON order_totals (user_id);
UPDATE users SET country = 'NZ';
ALTER TABLE users ALTER COLUMN country SET NOT NULL;`)

  const result = await project.cli(['revision', '--autogenerate', '-m', 'phone, status and tags'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  const file = generatedFiles(project).find((name) => name.endsWith('_phone_status_and_tags.sql'))
  const online = generatedFiles(project).find((name) =>
    name.endsWith('_phone_status_and_tags_concurrently.sql'),
  )
  const contract = generatedFiles(project).find((name) =>
    name.endsWith('_phone_status_and_tags_contract.sql'),
  )
  assert.ok(file && online && contract, generatedFiles(project).join(', '))
  const revision = contract.split('_')[0]!
  assert.match(
    result.stdout,
    /✓ Generating .*_phone_status_and_tags\.sql \.\.\. done \(\d+ statements up, \d+ down: what \S+ has that its migrations at g1 do not make\)/,
  )
  assert.match(
    result.stdout,
    /✓ Generating .*_phone_status_and_tags_concurrently\.sql \.\.\. done \(outside a transaction: indexes built and dropped CONCURRENTLY, constraints validated apart, so tables with rows stay in use\)/,
  )
  assert.match(
    result.stdout,
    /✓ Generating .*_phone_status_and_tags_contract\.sql \.\.\. done \(phase contract: drops what the previous release may still read; `strata deploy --phase contract` runs it once every instance runs the new release\)/,
  )
  assert.match(
    result.stdout,
    /✓ replayed on a scratch database: the upgrade builds exactly \S+'s schema and the downgrade restores the one before/,
  )
  assert.match(
    result.stdout,
    /deploy with `strata deploy --phase expand`, then `--phase contract` once the new release runs everywhere/,
  )
  assert.match(
    result.stdout,
    /the downgrade restores the one before, except what it cannot undo:\n {4}enum mood: /,
  )
  assert.match(result.stdout, new RegExp(`✓ \\S+ stamped at ${revision}: it already has these changes`))

  // On tables that hold rows, production's forms, outside a transaction, after the rest.
  const concurrently = readFileSync(join(project.dir, 'migrations', 'versions', online), 'utf8')
  assert.match(concurrently, new RegExp(`-- down_revision: ${file.split('_')[0]}\n`))
  assert.match(concurrently, /-- transactional: false\n/)
  const [onlineUp, onlineDown] = concurrently.split('-- migrate:down')
  assert.match(onlineUp!, /ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;/)
  assert.match(
    onlineUp!,
    /CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON public\.users USING btree \(lower\(\(email\)::text\)\);/,
  )
  assert.match(onlineDown!, /DROP INDEX CONCURRENTLY IF EXISTS users_email_key;/)
  // SET NOT NULL without a scan under ACCESS EXCLUSIVE: a check validated first, added
  // anew by each run (an interrupted run is repeated from the start).
  assert.match(
    onlineUp!,
    /ALTER TABLE users DROP CONSTRAINT IF EXISTS users_country_nn, ADD CONSTRAINT users_country_nn CHECK \(country IS NOT NULL\) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_country_nn;\nALTER TABLE users ALTER COLUMN country SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT IF EXISTS users_country_nn;/,
  )
  const check = await project.cli(['check', '--offline', '-r', 'g1:head'])
  assert.match(check.stdout, /3 migrations checked: /)
  assert.doesNotMatch(
    check.stdout,
    /create-index-not-concurrently|validate-in-same-transaction|set-not-null-without-check|constraint-without-not-valid|not-rerunnable/,
  )

  const sql = readFileSync(join(project.dir, 'migrations', 'versions', file), 'utf8')
  const [up, down] = sql.split('-- migrate:down')
  assert.doesNotMatch(up!, /users_country_nn/)
  for (const statement of [
    "CREATE TYPE status AS ENUM ('new', 'paid');",
    "ALTER TYPE mood ADD VALUE 'happy' BEFORE 'calm';",
    'ALTER TABLE users ADD COLUMN phone character varying(20);',
    'ALTER TABLE users ALTER COLUMN email TYPE character varying(320) USING email::character varying(320);',
    'ALTER TABLE orders ALTER COLUMN total SET DEFAULT 1;',
    'ALTER SEQUENCE tags_id_seq OWNED BY tags.id;',
    'ALTER TABLE tags ADD CONSTRAINT tags_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE;',
    'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK ((total >= (0)::numeric)) NOT VALID;',
    'ALTER TABLE orders ENABLE ROW LEVEL SECURITY;',
    'CREATE SCHEMA billing;',
    "CREATE DOMAIN email_address AS text NOT NULL CONSTRAINT has_at CHECK ((VALUE ~~ '%@%'::text));",
    'CREATE TYPE money_pair AS (amount numeric(12,2), currency character(3));',
    'CREATE MATERIALIZED VIEW order_totals AS',
    'CREATE UNIQUE INDEX order_totals_user ON public.order_totals USING btree (user_id);',
    'CREATE TABLE billing.invoices (',
    'CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;',
    'label citext',
    "COMMENT ON TABLE tags IS 'what a customer''s order is filed under';",
    "COMMENT ON COLUMN users.phone IS 'E.164';",
    "COMMENT ON VIEW paid_orders IS 'for billing';",
    'CREATE POLICY own_orders ON orders FOR SELECT TO public USING ((user_id = 1));',
  ])
    assert.ok(up!.includes(statement), `upgrade lacks: ${statement}\n${up}`)
  assert.match(
    up!,
    /CREATE TRIGGER orders_touch BEFORE UPDATE ON public\.orders FOR EACH ROW EXECUTE FUNCTION touch\(\);/,
  )
  assert.ok(up!.indexOf('CREATE OR REPLACE FUNCTION public.touch()') < up!.indexOf('CREATE TRIGGER'))
  for (const statement of [
    'DROP TYPE status;',
    'DROP FUNCTION touch();',
    'DROP TABLE tags, billing.invoices;',
    'DROP SCHEMA billing;',
    'DROP TYPE money_pair;',
    'DROP MATERIALIZED VIEW order_totals;',
    'DROP DOMAIN email_address;',
  ])
    assert.ok(down!.includes(statement), `downgrade lacks: ${statement}\n${down}`)
  assert.match(
    down!,
    /-- TODO by hand: enum mood: \('happy', 'calm', 'angry'\) becomes \('calm', 'angry'\); PostgreSQL cannot remove or reorder enum values/,
  )

  assert.match(up!, /^-- phase: expand$/m)
  assert.doesNotMatch(up!, /DROP COLUMN|DROP TABLE/)

  // What the previous release may still read goes last, for the contract phase.
  const [contractUp, contractDown] = readFileSync(
    join(project.dir, 'migrations', 'versions', contract),
    'utf8',
  ).split('-- migrate:down')
  assert.match(contractUp!, /^-- phase: contract$/m)
  assert.match(contractUp!, new RegExp(`-- down_revision: ${online.split('_')[0]}\n`))
  for (const statement of ['DROP TABLE legacy_a, legacy_b;', 'ALTER TABLE users DROP COLUMN nickname;'])
    assert.ok(contractUp!.includes(statement), `contract lacks: ${statement}\n${contractUp}`)
  for (const statement of [
    'ALTER TABLE users ADD COLUMN nickname text;',
    'CREATE TABLE legacy_a (',
    'ALTER TABLE legacy_b ADD CONSTRAINT legacy_b_a_id_fkey FOREIGN KEY (a_id) REFERENCES legacy_a(id);',
  ])
    assert.ok(contractDown!.includes(statement), `contract's downgrade lacks: ${statement}\n${contractDown}`)
  const expandOnly = await project.cli(['check', '--offline', '-r', `g1:${online.split('_')[0]}`])
  assert.doesNotMatch(expandOnly.stdout, /drop-column|drop-table|breaking-outside-contract/)
  // Another database takes them in the two phases.
  const other = await createTestDatabase(t)
  assert.equal((await project.cli(['--url', other.url, 'upgrade', 'g1'])).code, 0)
  const expanded = await project.cli(['--url', other.url, 'upgrade', 'head', '--phase', 'expand'])
  assert.equal(expanded.code, 0, expanded.stdout + expanded.stderr)
  assert.equal((await other.one('SELECT version_num FROM alembic_version')).version_num, online.split('_')[0])
  assert.equal(
    (await other.one("SELECT to_regclass('legacy_a')::text AS t")).t,
    'legacy_a',
    'kept until contract',
  )
  assert.equal((await project.cli(['--url', other.url, 'upgrade', 'head'])).code, 0)
  assert.equal((await other.one("SELECT to_regclass('legacy_a')::text AS t")).t, null)

  // The database is at the new revision and matches its migrations: nothing more to generate.
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, revision)
  const verify = await project.cli(['verify'])
  assert.equal(verify.code, 0, verify.stdout)
  const again = await project.cli(['revision', '--autogenerate', '-m', 'again'])
  assert.match(again.stdout, new RegExp(`No changes: \\S+ matches its migrations at ${revision}`))
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users')).n, 1, 'the data is untouched')

  // Only a check on an existing table: its validation's migration still has a downgrade.
  await db.query("ALTER TABLE users ADD CONSTRAINT users_email_at CHECK (email LIKE '%@%')")
  const emailCheck = await project.cli(['revision', '--autogenerate', '-m', 'email check'])
  assert.equal(emailCheck.code, 0, emailCheck.stdout + emailCheck.stderr)
  const validation = generatedFiles(project).find((name) => name.endsWith('_email_check_concurrently.sql'))!
  assert.match(
    readFileSync(join(project.dir, 'migrations', 'versions', validation), 'utf8'),
    /-- migrate:down\n-- Nothing to undo here: .*\nSELECT 1;/,
  )

  // A column with an index, dropped by hand: the index goes while expanding (concurrently,
  // no transactional migration before it), the column at contract; down, both come back.
  await db.query(
    'ALTER TABLE users ADD COLUMN scratch text; CREATE INDEX users_scratch_idx ON users (scratch)',
  )
  assert.equal((await project.cli(['revision', '--autogenerate', '-m', 'scratch column'])).code, 0)
  await db.query('ALTER TABLE users DROP COLUMN scratch')
  const dropScratch = await project.cli(['revision', '--autogenerate', '-m', 'drop scratch'])
  assert.equal(dropScratch.code, 0, dropScratch.stdout + dropScratch.stderr)
  const dropIndex = generatedFiles(project).find((name) => name.endsWith('_drop_scratch_concurrently.sql'))!
  assert.match(
    readFileSync(join(project.dir, 'migrations', 'versions', dropIndex), 'utf8'),
    /DROP INDEX CONCURRENTLY IF EXISTS users_scratch_idx;\n\n-- migrate:down\nCREATE INDEX users_scratch_idx ON public\.users USING btree \(scratch\);/,
  )
})

test('a primary key and a unique constraint added to a table with rows: indexes built CONCURRENTLY, keys made USING INDEX in a migration of their own', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('g1', {
    message: 'events',
    up: 'CREATE TABLE events (id bigint, code text, kind text); CREATE TABLE kinds (name text);',
    downSql: 'DROP TABLE events, kinds;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query(`INSERT INTO events SELECT g, 'c' || g, 'k' FROM generate_series(1, 50) g;
    ALTER TABLE events ADD PRIMARY KEY (id);
    ALTER TABLE events ADD CONSTRAINT events_code_key UNIQUE (code);
    INSERT INTO kinds VALUES ('k');
    ALTER TABLE kinds ADD CONSTRAINT kinds_pkey PRIMARY KEY (name);
    ALTER TABLE events ADD CONSTRAINT events_kind_fkey FOREIGN KEY (kind) REFERENCES kinds (name);`)

  const result = await project.cli(['revision', '--autogenerate', '-m', 'event keys'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(
    result.stdout,
    /✓ Generating .*_event_keys_keys\.sql \.\.\. done \(primary keys and unique constraints added USING INDEX, from the indexes built before: a brief lock, no build\)/,
  )
  assert.match(result.stdout, /✓ replayed on a scratch database/)
  const read = (suffix: string) => generatedFile(project, suffix)
  const [onlineUp] = read('_event_keys_concurrently.sql').split('-- migrate:down')
  assert.match(
    onlineUp!,
    /ALTER TABLE events ALTER COLUMN id SET NOT NULL;\n[\s\S]*CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_pkey ON public\.events USING btree \(id\);/,
  )
  assert.match(
    onlineUp!,
    /CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_code_key ON public\.events USING btree \(code\);/,
  )
  assert.equal(
    read('_event_keys_keys.sql').split('-- migrate:up\n')[1],
    `ALTER TABLE events ADD CONSTRAINT events_code_key UNIQUE USING INDEX events_code_key;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;

-- migrate:down
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events DROP CONSTRAINT events_code_key;
`,
  )
  // A key a new foreign key references is made in the transaction, before that key.
  assert.match(
    read('_event_keys.sql'),
    /ALTER TABLE kinds ADD CONSTRAINT kinds_pkey PRIMARY KEY \(name\);\n[\s\S]*ALTER TABLE events ADD CONSTRAINT events_kind_fkey FOREIGN KEY \(kind\) REFERENCES kinds\(name\) NOT VALID;/,
  )
  // Strata's own check finds nothing to say about the keys' migration: no build, no scan.
  const keys = generatedFiles(project)
    .find((name) => name.endsWith('_event_keys_keys.sql'))!
    .split('_')[0]!
  const check = await project.cli(['check', '-r', `g1:${keys}`, '--json'])
  const report = JSON.parse(check.stdout) as {
    migrations: {
      revision: string
      findings: unknown[]
      statements: { scans: string[]; indexBuilds: string[] }[]
    }[]
  }
  const keysReport = report.migrations.find((migration) => migration.revision === keys)!
  assert.deepEqual(keysReport.findings, [])
  assert.deepEqual(
    keysReport.statements.flatMap((statement) => [...statement.scans, ...statement.indexBuilds]),
    [],
  )

  // Down and up again on the database itself.
  assert.equal((await project.cli(['downgrade', 'g1'])).code, 0)
  assert.equal((await db.one("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'events'")).n, 0)
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal(
    (await db.one("SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'events'::regclass")).n,
    3,
  )
})

test('an enum value added and used: committed by a migration of its own before the one that uses it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('g1', {
    message: 'moods',
    up: "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE people (id int PRIMARY KEY, mood mood DEFAULT 'ok');",
    downSql: 'DROP TABLE people; DROP TYPE mood;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query("ALTER TYPE mood ADD VALUE 'great'")
  await db.query(
    "ALTER TABLE people ALTER COLUMN mood SET DEFAULT 'great', ADD COLUMN best mood NOT NULL DEFAULT 'great'",
  )
  const result = await project.cli(['revision', '--autogenerate', '-m', 'great'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(
    result.stdout,
    /✓ Generating .*_great_enum_values\.sql \.\.\. done \(enum values added, committed before the changes that may use them\)/,
  )
  assert.match(result.stdout, /✓ replayed on a scratch database/)
  const read = (suffix: string) => generatedFile(project, suffix)
  assert.match(
    read('_great_enum_values.sql'),
    /-- migrate:up\nALTER TYPE mood ADD VALUE 'great' AFTER 'ok';\n/,
  )
  const changes = read('_great.sql')
  assert.match(changes, /-- down_revision: [0-9a-f]+\n/)
  assert.match(changes, /ALTER TABLE people ALTER COLUMN mood SET DEFAULT 'great'::mood;/)
  assert.doesNotMatch(changes, /ADD VALUE/)

  // A value added that nothing here uses: in the one migration, as before.
  await db.query("ALTER TYPE mood ADD VALUE 'meh'")
  const alone = await project.cli(['revision', '--autogenerate', '-m', 'meh'])
  assert.equal(alone.code, 0, alone.stdout + alone.stderr)
  assert.deepEqual(
    generatedFiles(project)
      .filter((name) => name.includes('_meh'))
      .map((name) => name.replace(/^[0-9a-f]+/, '')),
    ['_meh.sql'],
  )
})

test('autogenerate refuses a database behind its migrations, leaves enum removals to a person, and does not stamp what it cannot reproduce', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  schema(project)
  project.sql('g2', {
    down: 'g1',
    up: 'ALTER TABLE users ADD COLUMN age int;',
    downSql: 'ALTER TABLE users DROP COLUMN age;',
  })
  assert.equal((await project.cli(['upgrade', 'g1'])).code, 0)
  const behind = await project.cli(['revision', '--autogenerate', '-m', 'x'])
  assert.equal(behind.code, 2)
  assert.match(behind.stderr, /^error: \S+ is at g1, not at the head g2; nothing written\n/)
  assert.match(
    behind.stderr,
    /hint: upgrade it first \(strata upgrade head\), so that only the changes made by hand are generated/,
  )
  assert.deepEqual(
    generatedFiles(project).filter((f) => !f.startsWith('g2')),
    [],
  )
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)

  // A role that may not create databases: told how round it, nothing written.
  const role = await createTestRole(t, { prefix: 'app' })
  await db.query(`GRANT SELECT ON alembic_version TO ${role.name}`)
  const asApp = urlOf({ ...db.spec, user: role.name, password: role.password })
  const noCreatedb = await project.cli(['revision', '--autogenerate', '-m', 'x'], { DATABASE_URL: asApp })
  assert.equal(noCreatedb.code, 1, noCreatedb.stdout)
  assert.match(noCreatedb.stderr, new RegExp(`error: ${role.name} may not create databases`))
  assert.match(noCreatedb.stderr, /or set health\.scratchUrl to a server where Strata may create one/)
  assert.deepEqual(
    generatedFiles(project).filter((f) => !f.startsWith('g2')),
    [],
  )

  // An enum value cannot be removed by SQL: the file says what to do, the database is not stamped.
  await db.query(`CREATE TYPE mood2 AS ENUM ('calm'); ALTER TABLE users ADD COLUMN mood mood2;
    DROP TYPE mood; ALTER TYPE mood2 RENAME TO mood;
    ALTER TABLE users RENAME COLUMN nickname TO handle`)
  const byHand = await project.cli(['revision', '--autogenerate', '-m', 'mood'])
  assert.equal(byHand.code, 0, byHand.stderr)
  assert.match(
    byHand.stdout,
    /! 1 change to write by hand \(a TODO in the file\):\n {4}enum mood: \('calm', 'angry'\) becomes \('calm'\)/,
  )
  assert.match(
    byHand.stdout,
    /next: finish .*_mood\.sql, then `strata stamp \w+` on \S+, which already has these changes/,
  )
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, 'g2')
  // A rename looks like a drop and an add: said, with the RENAME, in the output and the file.
  const rename =
    "users.nickname is dropped and users.handle added, both text: if it was renamed, use ALTER TABLE users RENAME COLUMN nickname TO handle instead, or the column's data is lost"
  assert.ok(byHand.stdout.includes(`! ${rename}`), byHand.stdout)
  // In the contract migration, where the drop is.
  const written = generatedFiles(project).find((name) => name.endsWith('_mood_contract.sql'))!
  assert.ok(
    readFileSync(join(project.dir, 'migrations', 'versions', written), 'utf8').includes(
      `-- RENAMED? ${rename}`,
    ),
  )
})

test('a generated migration that does not reproduce the database is kept for a person, and the database is not stamped', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('h1', {
    up: 'CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;',
    downSql: 'DROP FUNCTION answer();',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  // A new return type: CREATE OR REPLACE cannot change it.
  await db.query(
    'DROP FUNCTION answer(); CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$',
  )
  const result = await project.cli(['revision', '--autogenerate', '-m', 'bigger answer'])
  assert.equal(result.code, 1, result.stdout + result.stderr)
  assert.match(
    result.stdout,
    /✗ replayed on a scratch database, the migration does not reproduce \S+; \S+ was not stamped:/,
  )
  assert.match(result.stdout, /the upgrade failed: .*cannot change return type of existing function/)
  assert.doesNotMatch(result.stdout, /rolled back:/)
  assert.match(result.stdout, /next: correct .*_bigger_answer\.sql by hand, then `strata stamp \w+`/)
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, 'h1')
  const scratch = await db.one(
    "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'strata_autogen_%' AND datname LIKE '%' || $1 || '%'",
    [db.name],
  )
  assert.equal(scratch.n, 0, 'scratch databases are dropped')
})

test('a database changed while its migration was generated is not stamped: the files stay, the change is named', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  schema(project)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query('ALTER TABLE users ADD COLUMN phone text')
  const config = await loadConfig({ cwd: project.dir })
  const stages: string[] = []
  const result = await autogenerateRevision({
    config,
    spec: db.spec,
    migrations: await loadMigrations(config),
    message: 'phone',
    directory: project.versions,
    // A colleague's psql session, between the proof and the stamp.
    onStage: async (stage) => {
      stages.push(stage)
      if (stage === 'proven') await db.query('ALTER TABLE orders ADD COLUMN note text')
    },
  })
  assert.deepEqual(stages, ['replayed', 'written', 'proven'])
  assert.equal(result.stamped, false)
  assert.equal(result.proof?.upgradeMatches, true)
  assert.equal(result.proof?.problems[0], `${db.name} changed meanwhile:`)
  assert.ok(
    result.proof?.problems.some((line) => /orders\.note/.test(line)),
    result.proof?.problems.join('\n'),
  )
  assert.equal(result.created.length, 1)
  assert.ok(generatedFiles(project).some((name) => name.endsWith('_phone.sql')))
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, 'g1')
})

test('partitioned tables: created with their partitions, indexes and keys made once on the parent, a column added once; bounds changed are for a person', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('p1', {
    up: `CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');`,
    downSql: 'DROP TABLE events;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query(`ALTER TABLE events ADD COLUMN source text;
CREATE INDEX events_kind_idx ON events (kind);
ALTER TABLE events ADD PRIMARY KEY (id, at);
CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE TABLE audit (id bigint NOT NULL, tenant int NOT NULL) PARTITION BY LIST (tenant);
CREATE TABLE audit_1 PARTITION OF audit FOR VALUES IN (1);
CREATE TABLE audit_rest PARTITION OF audit DEFAULT;`)

  const result = await project.cli(['revision', '--autogenerate', '-m', 'partitions'])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(result.stdout, /stamped at \w+: it already has these changes/)
  const file = generatedFiles(project).find((name) => name.endsWith('_partitions.sql'))!
  const sql = readFileSync(join(project.dir, 'migrations', 'versions', file), 'utf8')
  for (const statement of [
    'ALTER TABLE events ADD COLUMN source text;',
    "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
    'CREATE TABLE audit (\n  id bigint NOT NULL,\n  tenant integer NOT NULL\n) PARTITION BY LIST (tenant);',
    'CREATE TABLE audit_1 PARTITION OF audit FOR VALUES IN (1);',
    'CREATE TABLE audit_rest PARTITION OF audit DEFAULT;',
    'ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);',
    'CREATE INDEX events_kind_idx ON public.events USING btree (kind);',
  ])
    assert.ok(sql.includes(statement), `lacks: ${statement}\n${sql}`)
  // Once, on the parent: the partitions' columns, keys and indexes come with it.
  assert.doesNotMatch(sql, /ALTER TABLE events_2026 ADD COLUMN|events_2026_pkey|events_2026_kind_idx/)

  // A partition's bound changed by hand: named, not guessed.
  await db.query(`ALTER TABLE events DETACH PARTITION events_2027;
ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2029-01-01')`)
  const rebound = await project.cli(['revision', '--autogenerate', '-m', 'rebound'])
  assert.match(
    rebound.stdout,
    /events_2027: a partition of events FOR VALUES FROM \('2027-01-01'\) TO \('2028-01-01'\) becomes a partition of events FOR VALUES FROM \('2027-01-01'\) TO \('2029-01-01'\); write the ALTER TABLE \.\.\. ATTACH \/ DETACH PARTITION by hand/,
  )
  const verify = await project.cli(['verify'])
  assert.match(
    verify.stdout,
    /partition events_2027: of events FOR VALUES FROM \('2027-01-01'\) TO \('2029-01-01'\) in the database, of events FOR VALUES FROM \('2027-01-01'\) TO \('2028-01-01'\) in the migrations/,
  )
})

test("a migration that fails on autogenerate's scratch replay is said to have failed there, the database only read", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  // A table made by hand that the first migration uses: the replay from an empty database fails.
  await db.query('CREATE TABLE handmade (id int PRIMARY KEY)')
  project.sql('g1', {
    up: 'ALTER TABLE handmade ADD COLUMN note text;',
    downSql: 'ALTER TABLE handmade DROP COLUMN note;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query('ALTER TABLE handmade ADD COLUMN extra int')
  const result = await project.cli(['revision', '--autogenerate', '-m', 'extra'])
  assert.equal(result.code, 1)
  assert.match(
    result.stderr,
    /^error: replaying the migrations on a scratch database, to learn the schema they make, failed \(\S+ itself was only read; nothing written\): upgrade g1 \(migration g1\) failed: ERROR 42P01: relation "handmade" does not exist\n/,
  )
  assert.doesNotMatch(result.stderr, /the version table still says/)
  assert.match(result.stderr, /a table made by hand that a migration uses belongs in a migration before it/)
  assert.deepEqual(generatedFiles(project), [])
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [{ version_num: 'g1' }])
})

test("a column retyped under a PL/pgSQL trigger: the generated migration makes the trigger's function compile again, so the application's sessions keep writing", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('g1', {
    message: 'codes',
    up: `CREATE TABLE codes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text);
CREATE FUNCTION upper_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.code := upper(NEW.code); RETURN NEW; END $$;
CREATE FUNCTION plain_sql_code() RETURNS trigger LANGUAGE plpgsql COST 7 AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER codes_upper BEFORE INSERT OR UPDATE ON codes FOR EACH ROW EXECUTE FUNCTION upper_code();
CREATE TRIGGER codes_plain BEFORE INSERT ON codes FOR EACH ROW EXECUTE FUNCTION plain_sql_code();`,
    downSql: 'DROP TABLE codes; DROP FUNCTION upper_code(), plain_sql_code();',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query('ALTER TABLE codes ALTER COLUMN code TYPE varchar(40)')
  const result = await project.cli(['revision', '--autogenerate', '-m', 'longer codes'])
  assert.equal(result.code, 0, result.stderr)
  const written = generatedFile(project, '.sql')
  assert.match(
    written,
    /ALTER TABLE "codes" ALTER COLUMN "code" TYPE character varying\(40\)|ALTER TABLE codes ALTER COLUMN code TYPE character varying\(40\)/,
  )
  assert.match(written, /ALTER FUNCTION plain_sql_code\(\) COST 7;\nALTER FUNCTION upper_code\(\) COST 100;/)
})
