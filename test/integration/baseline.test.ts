import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

// A database node-pg-migrate has been migrating: an extension, an enum, two schemas, a
// serial key, a foreign key, a view, functions and a trigger, and node-pg-migrate's own
// bookkeeping table with its history.
const LEGACY_SCHEMA = `
  CREATE EXTENSION IF NOT EXISTS pgcrypto;
  CREATE TYPE mood AS ENUM ('happy', 'sad');
  CREATE SCHEMA billing;
  CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, mood mood, created_at timestamptz DEFAULT now());
  CREATE TABLE billing.invoices (id bigserial PRIMARY KEY, user_id int REFERENCES users (id), amount numeric(10, 2) CHECK (amount >= 0));
  CREATE INDEX ix_invoices_user ON billing.invoices (user_id);
  CREATE VIEW active_users AS SELECT id, email FROM users WHERE mood = 'happy';
  CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users $$;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
  CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
  INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_init', now()), ('1700000000001_billing', now());
  INSERT INTO users (email) VALUES ('ada@example.com');
`

test('revision --baseline adopts a database another tool migrated: its schema becomes the first migration, stamped here, replayed elsewhere', async (t) => {
  const legacy = await createTestDatabase(t, 15)
  await legacy.query(LEGACY_SCHEMA)
  const project = testProject(t, legacy)
  const created = await project.cli(['revision', '-m', 'baseline', '--baseline', '--rev-id', 'base0001'])
  assert.equal(created.code, 0, created.stderr)
  assert.match(
    created.stdout,
    /✓ Generating \S+base0001_baseline\.sql \.\.\. done \(baseline: 5 tables, views and functions of t_\w+\)\n {2}left out public\.pgmigrations \(bookkeeping of node-pg-migrate, 2 rows\)\nnext: `strata stamp base0001` on t_\w+ and every database that already has this schema; a new database gets it with `strata upgrade head`\n/,
  )
  const file = join(project.versions, readdirSync(project.versions)[0]!)
  const sql = readFileSync(file, 'utf8')
  assert.match(
    sql,
    /^-- revision: base0001\n-- down_revision: none\n-- message: baseline\n-- strata:allow missing-downgrade: a baseline adopts a schema that exists; there is nothing below it to go back to\n/,
  )
  // strata check reads it as a migration with nothing to report.
  const checked = await project.cli(['check', file])
  assert.equal(checked.code, 0, checked.stdout)
  assert.match(checked.stdout, /additive · downtime none · risk low/)
  assert.match(checked.stdout, /0 errors, 0 warnings \(1 suppressed\)/)
  assert.match(sql, /CREATE TABLE public\.users \(/)
  assert.match(sql, /CREATE TRIGGER users_touch BEFORE INSERT ON public\.users/)
  assert.match(sql, /SET LOCAL check_function_bodies = false;/)
  // Not the other tool's bookkeeping, no psql meta-commands, no settings that outlive the
  // migration, no owners or grants, and no way down.
  assert.doesNotMatch(
    sql,
    /pgmigrations|^\\|set_config\('search_path'|^SET (?!LOCAL)|OWNER TO|GRANT|migrate:down/m,
  )

  // The database that has the schema is stamped; verify replays the baseline into a
  // scratch database and finds the same schema (pgmigrations is not counted as drift).
  assert.equal((await project.cli(['stamp', 'base0001'])).code, 0)
  const verified = await project.cli(['verify'])
  assert.equal(verified.code, 0, verified.stdout + verified.stderr)
  assert.match(verified.stdout, /✓ Data types consistent — schema matches the migrations at base0001/)

  // A new database gets the same schema by upgrading, and cannot be downgraded below it.
  const fresh = await createTestDatabase(t, 15)
  const freshProject = { cli: (args: string[]) => project.cli(args, { DATABASE_URL: fresh.url }) }
  const upgraded = await freshProject.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.equal((await freshProject.cli(['verify'])).code, 0)
  const trigger = await fresh.query(
    "INSERT INTO users (email) VALUES ('new@example.com') RETURNING created_at",
  )
  assert.ok(trigger.rows[0]?.created_at instanceof Date, 'the trigger and its function came along')
  const down = await freshProject.cli(['downgrade', 'base'])
  assert.equal(down.code, 2)
  assert.match(
    down.stderr,
    /base0001 has no downgrade, so the database cannot go below it; nothing was changed/,
  )

  // A baseline starts the history: refused once there is one.
  const again = await project.cli(['revision', '-m', 'baseline again', '--baseline'])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /a baseline is the first migration, and this project has 1 already/)
})

test('revision --baseline refuses an empty database, and a server no pg_dump here can read, changing nothing', async (t) => {
  const empty = await createTestDatabase(t, 15)
  const project = testProject(t, empty)
  const options = await project.cli(['revision', '-m', 'baseline', '--baseline', '--depends-on', 'x'])
  assert.equal(options.code, 2)
  assert.match(options.stderr, /--baseline takes the schema from the database and starts the history/)
  const nothing = await project.cli(['revision', '-m', 'baseline', '--baseline'])
  assert.equal(nothing.code, 2)
  assert.match(nothing.stderr, /holds no tables, views or functions: there is no schema to adopt/)
  assert.deepEqual(readdirSync(project.versions), [])

  const newer = await createTestDatabase(t, 16)
  await newer.query('CREATE TABLE t (id int)')
  const project16 = testProject(t, newer)
  const refused = await project16.cli(['revision', '-m', 'baseline', '--baseline'])
  assert.equal(refused.code, 1, 'as a backup without a fitting pg_dump')
  assert.match(refused.stderr, /pg_dump 16 or newer is needed for the server at \S+ \(PostgreSQL 16\)/)
  assert.match(
    refused.stderr,
    /or, without pg_dump: `strata revision -m "baseline" --autogenerate` writes the baseline from the catalog/,
  )
  assert.deepEqual(readdirSync(project16.versions), [])
  // Which does: the catalog's baseline, proven and stamped.
  const fromCatalog = await project16.cli(['revision', '-m', 'baseline', '--autogenerate'])
  assert.equal(fromCatalog.code, 0, fromCatalog.stdout + fromCatalog.stderr)
  assert.equal(readdirSync(project16.versions).length, 1)
  assert.match(fromCatalog.stdout, /stamped at \w+: it already has these changes/)
})

test('revision --baseline of a database Alembic migrated suggests stamp --purge, which replaces its version row', async (t) => {
  const legacy = await createTestDatabase(t, 15)
  await legacy.query(`
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
    INSERT INTO alembic_version VALUES ('1975ea83b712');
  `)
  const project = testProject(t, legacy)
  const created = await project.cli(['revision', '-m', 'baseline', '--baseline', '--rev-id', 'base0001'])
  assert.equal(created.code, 0, created.stderr)
  assert.match(created.stdout, /left out public\.alembic_version \(bookkeeping of Alembic or Strata, 1 row\)/)
  assert.match(created.stdout, /next: `strata stamp base0001 --purge` on /)
  assert.equal((await project.cli(['stamp', 'base0001', '--purge'])).code, 0)
  assert.deepEqual((await legacy.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'base0001' },
  ])
})
