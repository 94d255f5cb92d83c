import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'

test('strata diff compares two databases object by object, says what would make one like the other, and writes nothing', async (t) => {
  const staging = await createTestDatabase(t)
  const production = await createTestDatabase(t)
  const project = testProject(t, undefined, {
    databases: { staging: '${STAGING_URL}', production: '${PRODUCTION_URL}' },
    default: 'staging',
  })
  const env = { STAGING_URL: staging.url, PRODUCTION_URL: production.url }
  project.sql('d1', {
    up: 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL); CREATE INDEX users_email_idx ON users (email);',
    downSql: 'DROP TABLE users;',
  })
  for (const name of ['staging', 'production'])
    assert.equal((await project.cli(['-n', name, 'upgrade', 'head'], env)).code, 0)

  const same = await project.cli(['diff', 'production'], env)
  assert.equal(same.code, 0, same.stdout + same.stderr)
  assert.match(
    same.stdout,
    /✓ staging and production have the same schema \(\d+ objects compared in public\)/,
  )

  // Across majors (16 and 18, where NOT NULL is also a named constraint) the same migrations are the same schema.
  const eighteen = await createTestDatabase(t, 18)
  assert.equal((await project.cli(['--url', eighteen.url, 'upgrade', 'head'], env)).code, 0)
  const acrossMajors = await project.cli(['diff', eighteen.url], env)
  assert.equal(acrossMajors.code, 0, acrossMajors.stdout + acrossMajors.stderr)

  // A hotfix made on production only.
  await production.query('ALTER TABLE users ADD COLUMN phone text; DROP INDEX users_email_idx')
  const diff = await project.cli(['diff', 'production'], env)
  assert.equal(diff.code, 1, diff.stderr)
  assert.match(diff.stdout, /users\.phone: column in production, not in staging/)
  assert.match(
    diff.stdout,
    /CREATE INDEX users_email_idx ON public\.users USING btree \(email\): in production, not in staging|index users_email_idx: in staging, not in production/,
  )
  assert.match(
    diff.stdout,
    /✗ 2 differences between staging and production; `--sql` prints what would make staging like production/,
  )

  const sql = await project.cli(['diff', 'production', '--sql'], env)
  assert.equal(sql.code, 1)
  assert.match(
    sql.stdout,
    /^-- Makes staging's schema like production's \(strata diff\)\. Review before running:\n/,
  )
  assert.match(
    sql.stdout,
    /\nSET lock_timeout = '5000ms';\nBEGIN;\n[\s\S]*ALTER TABLE users ADD COLUMN phone text;\n[\s\S]*COMMIT;\n/,
  )
  // Production's forms: the index goes CONCURRENTLY, after the transaction.
  assert.match(
    sql.stdout,
    /\n-- Outside a transaction, one statement at a time:\nDROP INDEX CONCURRENTLY [\s\S]*users_email_idx/,
  )
  const stagingColumns = await staging.one(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users'",
  )
  assert.equal(stagingColumns.n, 2, 'nothing was written')

  // A URL works as well as a name, and its password is never printed.
  const byUrl = await project.cli(['diff', production.url], env)
  assert.equal(byUrl.code, 1)
  assert.ok(production.spec.password)
  assert.ok(!(byUrl.stdout + byUrl.stderr).includes(production.spec.password))

  const unknown = await project.cli(['diff', 'prod'], env)
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no database named "prod" in .*Known: staging, production/)

  // Nothing in it destroys data: no warning.
  assert.doesNotMatch(sql.stdout, /WARNING/)

  // Run as its header says, it makes staging like production.
  runWithPsql(staging.url, sql.stdout)
  const after = await project.cli(['diff', 'production'], env)
  assert.equal(after.code, 0, after.stdout)

  // The other way round it drops production's column: the header says what it destroys
  // in production, with the rows the table holds, and the backup to take first.
  await production.query(
    "INSERT INTO users SELECT g, 'u' || g || '@example.com', '555' FROM generate_series(1, 40) g",
  )
  await production.query('ANALYZE users')
  await staging.query('ALTER TABLE users DROP COLUMN phone')
  const destructive = await project.cli(['-n', 'production', 'diff', 'staging', '--sql'], env)
  assert.equal(destructive.code, 1, destructive.stderr)
  assert.match(
    destructive.stdout,
    /^-- WARNING: this script destroys data in production: column users\.phone \(~40 rows\)\.\n-- Back it up first: strata -n production backup -t users \(or take a whole backup\)$/m,
  )
})

// PostgreSQL refuses to retype or drop a column that a view or a generated column reads,
// and to drop a view another view reads: the script takes those down first, in order,
// and puts them back after.
for (const major of [16, 15] as const)
  test(`strata diff --sql retypes columns that views and generated columns read, in an order PostgreSQL ${major} accepts`, async (t) => {
    const mine = await createTestDatabase(t, major)
    const theirs = await createTestDatabase(t, major)
    const project = testProject(t, mine)
    const shared = `
      CREATE VIEW orders_view AS SELECT id, amount, note FROM orders;
      CREATE VIEW zz_big_orders AS SELECT id, amount FROM orders_view WHERE amount > 10;
      CREATE VIEW aa_big_ids AS SELECT id FROM zz_big_orders;
      CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM aa_big_ids;
      CREATE INDEX order_count_n_idx ON order_count (n);
      CREATE INDEX orders_label_idx ON orders (label);`
    await mine.query(`
      CREATE TABLE orders (id int PRIMARY KEY, amount int, label text GENERATED ALWAYS AS ('#' || amount) STORED,
                           note text DEFAULT 'none', code text DEFAULT '7', legacy int);
      CREATE TABLE totals (id int, legacy int, total int GENERATED ALWAYS AS (legacy * 2) STORED);
      CREATE FUNCTION next_code() RETURNS int LANGUAGE sql AS 'SELECT 1';
      CREATE TABLE audit (id int, note text);
      INSERT INTO audit SELECT g, 'n' FROM generate_series(1, 5) g;
      INSERT INTO orders (id, amount) SELECT g, g FROM generate_series(1, 20) g;
      ANALYZE orders; ${shared}`)
    await theirs.query(`
      CREATE FUNCTION next_code_v2() RETURNS int LANGUAGE sql AS 'SELECT 2';
      CREATE TABLE orders (id bigint PRIMARY KEY, amount bigint, label text GENERATED ALWAYS AS ('#' || amount) STORED,
                           note varchar(200) DEFAULT 'none', code int DEFAULT next_code_v2());
      CREATE TABLE totals (id int);
      CREATE TABLE audit (id int PRIMARY KEY, note text);
      ${shared}
      CREATE VIEW zz_new AS SELECT 1 AS x;
      CREATE VIEW aa_new AS SELECT x FROM zz_new;
      CREATE FUNCTION new_token() RETURNS text LANGUAGE sql AS $$SELECT md5(random()::text)$$;
      CREATE TABLE tokens (id text DEFAULT new_token() PRIMARY KEY);
      CREATE FUNCTION token_count() RETURNS bigint LANGUAGE sql STABLE AS $$SELECT count(*) FROM tokens$$;
      CREATE FUNCTION all_tokens() RETURNS SETOF tokens LANGUAGE sql STABLE AS $$SELECT * FROM tokens$$;
      CREATE FUNCTION is_positive(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0';
      CREATE DOMAIN positive_int AS int CHECK (is_positive(VALUE));
      CREATE FUNCTION doubled(p positive_int) RETURNS int LANGUAGE sql AS 'SELECT p * 2';
      CREATE TABLE stock (count positive_int);`)
    const sql = await project.cli(['diff', theirs.url, '--sql'])
    assert.equal(sql.code, 1, sql.stderr)
    const lines = sql.stdout.split('\n')
    const at = (statement: string) => {
      const index = lines.indexOf(statement)
      assert.ok(index >= 0, `${statement} in\n${sql.stdout}`)
      return index
    }
    // Readers dropped before what they read, and made again after it.
    assert.ok(at('DROP MATERIALIZED VIEW order_count;') < at('DROP VIEW aa_big_ids;'))
    assert.ok(at('DROP VIEW aa_big_ids;') < at('DROP VIEW zz_big_orders;'))
    assert.ok(at('DROP VIEW zz_big_orders;') < at('DROP VIEW orders_view;'))
    assert.ok(at('CREATE VIEW zz_new AS') < at('CREATE VIEW aa_new AS'))
    // The generated column goes and comes back around its column's new type, and a
    // default that cannot be cast is dropped before the type and set after its function.
    assert.ok(
      at('ALTER TABLE orders DROP COLUMN label;') <
        at('ALTER TABLE orders ALTER COLUMN amount TYPE bigint USING amount::bigint;'),
    )
    assert.ok(
      at('ALTER TABLE orders ALTER COLUMN code DROP DEFAULT;') <
        at('ALTER TABLE orders ALTER COLUMN code TYPE integer USING code::integer;'),
    )
    assert.ok(
      at('ALTER TABLE orders ALTER COLUMN code SET DEFAULT next_code_v2();') >
        sql.stdout
          .split('\n')
          .findIndex((line) => line.startsWith('CREATE OR REPLACE FUNCTION public.next_code_v2()')),
    )
    // A function comes before the table whose default calls it (its body, which reads a
    // table made later, checked when called); one that returns a new table's rows after it.
    const created = (name: string) =>
      lines.findIndex((line) => line.startsWith(`CREATE OR REPLACE FUNCTION public.${name}(`))
    assert.ok(at('SET LOCAL check_function_bodies = off;') < created('new_token'))
    assert.ok(created('token_count') < at('CREATE TABLE tokens ('))
    assert.ok(created('new_token') < at('CREATE TABLE tokens ('))
    assert.ok(created('all_tokens') > at('CREATE TABLE tokens ('))
    // A domain whose check calls a new function after it; a function taking the domain after that.
    const domain = lines.findIndex((line) => line.startsWith('CREATE DOMAIN positive_int'))
    assert.ok(created('is_positive') < domain && domain < created('doubled'))
    // A key on a table in use: its index built CONCURRENTLY, then the key made from it.
    assert.ok(
      at('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS audit_pkey ON public.audit USING btree (id);') <
        at('ALTER TABLE audit ADD CONSTRAINT audit_pkey PRIMARY KEY USING INDEX audit_pkey;'),
    )
    assert.ok(at('-- Then the keys, from the indexes just built:') > at('COMMIT;'))
    // Its index went with it, and is built again (CONCURRENTLY: the table is in use).
    assert.ok(
      at('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_label_idx ON public.orders USING btree (label);') >
        0,
    )
    // A generated column goes before the column it reads, where both go.
    assert.ok(at('ALTER TABLE totals DROP COLUMN total;') < at('ALTER TABLE totals DROP COLUMN legacy;'))
    // It loses no data but the columns that are gone: label is computed again.
    assert.match(
      sql.stdout,
      /^-- WARNING: this script destroys data in \w+: .*column orders\.legacy \(~20 rows\)/m,
    )
    assert.doesNotMatch(sql.stdout, /WARNING.*label/)

    runWithPsql(mine.url, sql.stdout)
    const after = await project.cli(['diff', theirs.url])
    assert.equal(after.code, 0, after.stdout + after.stderr)
    // The rows are kept, the generated column computed again, the materialized view filled again.
    assert.deepEqual(await mine.one('SELECT label, n FROM orders, order_count WHERE id = 20'), {
      label: '#20',
      n: '10',
    })
  })

test('strata diff --sql adds enum values before the transaction that uses them', async (t) => {
  const mine = await createTestDatabase(t)
  const theirs = await createTestDatabase(t)
  const project = testProject(t, mine)
  await mine.query(`CREATE TYPE mood AS ENUM ('sad', 'ok');
    CREATE TABLE people (id int PRIMARY KEY, mood mood DEFAULT 'ok');`)
  await theirs.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'great');
    CREATE TABLE people (id int PRIMARY KEY, mood mood DEFAULT 'great', best mood NOT NULL DEFAULT 'great');`)
  const sql = await project.cli(['diff', theirs.url, '--sql'])
  assert.equal(sql.code, 1, sql.stderr)
  assert.match(
    sql.stdout,
    /\n-- Enum values first, each committed: a value is usable only once committed\.\nALTER TYPE mood ADD VALUE 'great' AFTER 'ok';\nBEGIN;\n/,
  )
  runWithPsql(mine.url, sql.stdout)
  const after = await project.cli(['diff', theirs.url])
  assert.equal(after.code, 0, after.stdout + after.stderr)
})

test('strata diff --sql turns a serial column into an identity and back without losing its position', async (t) => {
  const mine = await createTestDatabase(t)
  const theirs = await createTestDatabase(t)
  const project = testProject(t, mine)
  await mine.query(`CREATE TABLE items (id serial PRIMARY KEY, name text);
    INSERT INTO items (name) SELECT 'i' || g FROM generate_series(1, 40) g;`)
  await theirs.query('CREATE TABLE items (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text)')
  const toIdentity = await project.cli(['diff', theirs.url, '--sql'])
  assert.equal(toIdentity.code, 1, toIdentity.stderr)
  assert.match(toIdentity.stdout, /ALTER TABLE items ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;/)
  runWithPsql(mine.url, toIdentity.stdout)
  assert.equal((await project.cli(['diff', theirs.url])).code, 0)
  // The identity goes on from 41: an insert does not collide with the rows there.
  assert.deepEqual(await mine.one("INSERT INTO items (name) VALUES ('next') RETURNING id"), { id: 41 })

  // Back to serial, as the database the other way round: from 42 on.
  const back = testProject(t, theirs)
  await theirs.query(`DROP TABLE items; CREATE TABLE items (id serial PRIMARY KEY, name text)`)
  const toSerial = await back.cli(['diff', mine.url, '--sql'])
  assert.equal(toSerial.code, 1, toSerial.stderr)
  const reverse = await project.cli(['diff', theirs.url, '--sql'])
  assert.match(reverse.stdout, /ALTER TABLE items ALTER COLUMN id DROP IDENTITY;/)
  runWithPsql(mine.url, reverse.stdout)
  assert.equal((await project.cli(['diff', theirs.url])).code, 0)
  assert.deepEqual(await mine.one("INSERT INTO items (name) VALUES ('after') RETURNING id"), { id: 42 })
})
