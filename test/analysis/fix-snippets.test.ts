import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'
import { createTestDatabase, withClient } from '../helpers/database.js'

/**
 * The SQL a finding offers as the fix is run, as offered, on a real server: for a table
 * in another schema, with a mixed-case name ("Order"), a reserved word for a column
 * ("user"), and constraints left unnamed (the fix must name the one PostgreSQL made).
 */
async function fixOf(sql: string, rule: string): Promise<string> {
  const report = await analyseSql(sql)
  const finding = report.findings.find((f) => f.rule === rule)
  assert.ok(finding, `${rule} should flag ${sql}; got ${report.findings.map((f) => f.rule).join(', ')}`)
  return finding.fix
}

/** The runnable SQL of a fix: each line from its first SQL verb, without trailing advice. */
function sqlOf(fix: string): string[] {
  return fix
    .split('\n')
    .filter((line) => !line.startsWith('TS:') && !line.includes('<'))
    .map((line) => /\b(?:ALTER|CREATE|DROP) .*/.exec(line)?.[0].split(/ {2}(?:--|\()/)[0])
    .filter((line): line is string => line !== undefined)
}

test('fix snippets quote the names that need it, name unnamed constraints as PostgreSQL did, and run', async (t) => {
  const database = await createTestDatabase(t)
  await withClient(database.spec, (client) =>
    client.query(`
      CREATE TABLE users (id int PRIMARY KEY);
      CREATE SCHEMA billing;
      CREATE TABLE billing."Order" (id int, "user" int, "Name" varchar(100));
      INSERT INTO users VALUES (1);
      INSERT INTO billing."Order" VALUES (1, 1, 'a'), (2, 1, 'b');`),
  )
  const run = (statements: string[]) =>
    withClient(database.spec, async (client) => {
      for (const statement of statements) await client.query(statement)
    })

  const check = await fixOf(
    'ALTER TABLE billing."Order" ADD CHECK ("user" > 0);',
    'constraint-without-not-valid',
  )
  assert.deepEqual(sqlOf(check), [
    'ALTER TABLE billing."Order" ADD CHECK ("user" > 0) NOT VALID;',
    'ALTER TABLE billing."Order" VALIDATE CONSTRAINT "Order_user_check";',
  ])
  await run(sqlOf(check))
  // The TS form carries the condition as written, in a string TS reads back unchanged.
  assert.match(
    check,
    /\nTS: await op\.addCheckSafely\('Order_user_check', 'billing\.Order', "\\"user\\" > 0"\)$/,
  )
  const quoted = await fixOf(
    "ALTER TABLE users ADD CONSTRAINT ck_kind CHECK (kind IN ('a', ')')), ADD CHECK (id > 0);",
    'constraint-without-not-valid',
  )
  assert.match(quoted, /op\.addCheckSafely\('ck_kind', 'users', "kind IN \('a', '\)'\)"\)/)

  const foreign = await fixOf(
    'ALTER TABLE billing."Order" ADD FOREIGN KEY ("user") REFERENCES users (id);',
    'constraint-without-not-valid',
  )
  assert.match(foreign, /VALIDATE CONSTRAINT "Order_user_fkey"/)
  assert.match(
    foreign,
    /op\.addForeignKeySafely\('Order_user_fkey', 'billing\.Order', 'users', \['user'\], \['id'\]\)/,
  )
  await run(sqlOf(foreign))
  // A volatile default: the column as written without it, the default for new rows, the
  // backfill with the expression itself (not a placeholder).
  const volatile = await fixOf(
    'ALTER TABLE billing."Order" ADD COLUMN "Amount" numeric(12,2) DEFAULT round((random() * 10)::numeric, 2);',
    'volatile-default',
  )
  assert.deepEqual(sqlOf(volatile), [
    'ALTER TABLE billing."Order" ADD COLUMN "Amount" numeric(12,2);',
    'ALTER TABLE billing."Order" ALTER COLUMN "Amount" SET DEFAULT round((random() * 10)::numeric, 2);',
  ])
  assert.match(
    volatile,
    /TS: await op\.backfill\(\{ table: 'billing\.Order', set: \{ Amount: op\.sql\('round\(\(random\(\) \* 10\)::numeric, 2\)'\) \}, where: '"Amount" IS NULL' \}\)/,
  )
  await run(sqlOf(volatile))
  const generated = await fixOf(
    'ALTER TABLE billing."Order" ADD COLUMN name_lower text GENERATED ALWAYS AS (lower("Name")) STORED;',
    'stored-generated-column',
  )
  assert.match(generated, /^ALTER TABLE billing\."Order" ADD COLUMN name_lower text;/)
  assert.match(generated, /set: \{ name_lower: op\.sql\('lower\("Name"\)'\) \}/)
  // A batched DELETE keeps the statement's aliases and USING tables (a dedupe by self-join).
  await run([
    'CREATE TABLE billing.people (id int, email text)',
    "INSERT INTO billing.people VALUES (1, 'a'), (2, 'a'), (3, 'b'), (4, 'a')",
  ])
  const dedupe = await fixOf(
    'DELETE FROM billing.people a USING billing.people b WHERE a.id < b.id AND a.email = b.email;',
    'unbatched-update',
  )
  const batch = /DELETE FROM .*LIMIT 1000\);/.exec(dedupe)![0]
  assert.equal(
    batch,
    'DELETE FROM billing.people WHERE ctid IN (SELECT a.ctid FROM billing.people a, billing.people b WHERE a.id < b.id AND a.email = b.email LIMIT 1000);',
  )
  await run([batch])
  const left = await withClient(database.spec, (client) =>
    client.query('SELECT id FROM billing.people ORDER BY id'),
  )
  assert.deepEqual(
    left.rows.map((row) => row.id),
    [3, 4],
  )
  // An UPDATE without WHERE: the backfill's condition is the rows whose value differs.
  assert.match(
    await fixOf('UPDATE billing.people SET email = lower(email);', 'unbatched-update'),
    /set: \{ email: op\.sql\("lower\(email\)"\) \}, where: "email IS DISTINCT FROM \(lower\(email\)\)"/,
  )
  // A domain's check: NOT VALID, then VALIDATE by the name PostgreSQL gave it (<domain>_check).
  await run(['CREATE DOMAIN billing."Pos" AS int', 'CREATE TABLE billing.amounts (n billing."Pos")'])
  const domainFix = await fixOf('ALTER DOMAIN billing."Pos" ADD CHECK (VALUE > 0);', 'domain-constraint')
  assert.deepEqual(sqlOf(domainFix), [
    'ALTER DOMAIN billing."Pos" ADD CHECK (VALUE > 0) NOT VALID;',
    'ALTER DOMAIN billing."Pos" VALIDATE CONSTRAINT "Pos_check";',
  ])
  await run(sqlOf(domainFix))
  // DROP INDEX CONCURRENTLY takes one index: two indexes, two statements and two op calls.
  const drops = await fixOf('DROP INDEX ix_a, billing.ix_b;', 'drop-index-not-concurrently')
  assert.deepEqual(
    drops.split('\n').filter((line) => !line.startsWith('--')),
    [
      'DROP INDEX CONCURRENTLY IF EXISTS ix_a;',
      'DROP INDEX CONCURRENTLY IF EXISTS billing.ix_b;',
      "TS: await op.dropIndex('ix_a', { concurrently: true, ifExists: true })",
      "TS: await op.dropIndex('billing.ix_b', { concurrently: true, ifExists: true })",
    ],
  )
  // The op call keeps the key's actions: without them it would add a different key.
  assert.match(
    await fixOf(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE;',
      'constraint-without-not-valid',
    ),
    /op\.addForeignKeySafely\('orders_user_id_fkey', 'orders', 'users', \['user_id'\], \['id'\], \{ onDelete: 'set null', onUpdate: 'cascade', deferrable: true \}\)/,
  )

  // A column added with its foreign key: the fix adds it with its own type, then the key apart.
  const added = await fixOf(
    'ALTER TABLE billing."Order" ADD COLUMN referrer_id int REFERENCES users (id);',
    'constraint-without-not-valid',
  )
  assert.equal(sqlOf(added)[0], 'ALTER TABLE billing."Order" ADD COLUMN referrer_id integer;')
  await run(sqlOf(added))

  const notNull = await fixOf(
    'ALTER TABLE billing."Order" ALTER COLUMN "user" SET NOT NULL;',
    'set-not-null-without-check',
  )
  assert.match(notNull, /CHECK \("user" IS NOT NULL\) NOT VALID/)
  await run(sqlOf(notNull))

  const unique = await fixOf('ALTER TABLE billing."Order" ADD UNIQUE ("Name");', 'unique-without-using-index')
  assert.match(unique, /CREATE UNIQUE INDEX CONCURRENTLY "Order_Name_key_idx" ON billing\."Order" \("Name"\)/)
  await run(sqlOf(unique))

  const serial = await fixOf(
    'ALTER TABLE billing."Order" ADD COLUMN number serial;',
    'serial-or-identity-added',
  )
  assert.match(serial, /CREATE SEQUENCE billing\."Order_number_seq";/)
  await run(sqlOf(serial))

  const varchar = await fixOf('CREATE TABLE "Notes" ("Body" varchar(500));', 'prefer-text-over-varchar')
  assert.equal(varchar, '"Body" text, CONSTRAINT ck_body_length CHECK (char_length("Body") <= 500)')
  await run([`CREATE TABLE notes_checked (${varchar})`])

  const renamed = await fixOf('ALTER TABLE billing."Order" RENAME TO orders;', 'rename')
  assert.deepEqual(sqlOf(renamed), [
    'ALTER TABLE billing."Order" RENAME TO orders; CREATE VIEW billing."Order" AS SELECT * FROM billing.orders;',
  ])
  await run(sqlOf(renamed))

  const dropped = await fixOf('DROP TABLE billing.orders;', 'drop-table')
  assert.deepEqual(sqlOf(dropped), ['ALTER TABLE billing.orders RENAME TO orders_old'])
  await run(['DROP VIEW billing."Order"', ...sqlOf(dropped)])

  const typeChange = await fixOf('ALTER TABLE users ALTER COLUMN id TYPE varchar(20);', 'column-type-change')
  assert.match(
    typeChange,
    /op\.changeColumnType\('users', 'id', 'varchar\(20\)', \{ using: 'id::varchar\(20\)' \}\)/,
  )

  // The recipe gets the column's type as written, not a placeholder.
  const notNullFix = await fixOf(
    'ALTER TABLE users ADD COLUMN total numeric(12,2) NOT NULL;',
    'not-null-without-default',
  )
  assert.match(
    notNullFix,
    /op\.addNotNullColumn\('users', \{ name: 'total', type: 'numeric\(12,2\)', default: <value> \}\)/,
  )

  // A partitioned table's index: ON ONLY, each partition's CONCURRENTLY, attached; the
  // recipe runs and leaves the parent's index valid.
  await run([
    'CREATE TABLE billing.events (at int NOT NULL, kind text) PARTITION BY RANGE (at)',
    'CREATE TABLE billing.events_1 PARTITION OF billing.events FOR VALUES FROM (0) TO (10)',
    'CREATE TABLE billing.events_2 PARTITION OF billing.events FOR VALUES FROM (10) TO (20)',
  ])
  const partitioned = await fixOf(
    `CREATE TABLE billing.events (at int NOT NULL, kind text) PARTITION BY RANGE (at);
     CREATE TABLE billing.events_1 PARTITION OF billing.events FOR VALUES FROM (0) TO (10);
     CREATE TABLE billing.events_2 PARTITION OF billing.events FOR VALUES FROM (10) TO (20);
     CREATE INDEX CONCURRENTLY ix_events_kind ON billing.events (kind);`,
    'concurrently-on-partitioned-table',
  )
  const recipe = partitioned
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .map((line) => line.split('  --')[0]!)
  assert.deepEqual(recipe, [
    'CREATE INDEX ix_events_kind ON ONLY billing.events (kind);',
    'CREATE INDEX CONCURRENTLY ix_events_kind_events_1 ON billing.events_1 (kind);',
    'CREATE INDEX CONCURRENTLY ix_events_kind_events_2 ON billing.events_2 (kind);',
    'ALTER INDEX billing.ix_events_kind ATTACH PARTITION billing.ix_events_kind_events_1;',
    'ALTER INDEX billing.ix_events_kind ATTACH PARTITION billing.ix_events_kind_events_2;',
  ])
  await run(recipe)
  const valid = await withClient(database.spec, (client) =>
    client.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'billing.ix_events_kind'::regclass"),
  )
  assert.equal(valid.rows[0].indisvalid, true)

  // A foreign key on a partitioned table: each partition's NOT VALID + VALIDATE, then the
  // parent's, which adopts them; it runs, and the parent's key is validated.
  await run([
    'ALTER TABLE billing.events ADD COLUMN "user" int',
    "INSERT INTO billing.events VALUES (1, 'a', 1), (15, 'b', NULL)",
  ])
  const partitionedKey = await fixOf(
    `CREATE TABLE billing.events_3 PARTITION OF billing.events FOR VALUES FROM (20) TO (30);
     ALTER TABLE billing.events ADD FOREIGN KEY ("user") REFERENCES users ON DELETE CASCADE;`,
    'constraint-without-not-valid',
  )
  assert.deepEqual(sqlOf(partitionedKey), [
    'ALTER TABLE billing.events_3 ADD CONSTRAINT events_user_fkey_events_3 FOREIGN KEY ("user") REFERENCES users ON DELETE CASCADE NOT VALID;',
    'ALTER TABLE billing.events_3 VALIDATE CONSTRAINT events_user_fkey_events_3;',
    'ALTER TABLE billing.events ADD CONSTRAINT events_user_fkey FOREIGN KEY ("user") REFERENCES users ON DELETE CASCADE;',
  ])
  assert.match(
    partitionedKey,
    /TS: await op\.addForeignKeySafely\('events_user_fkey', 'billing\.events', 'users', \['user'\], \['id'\], \{ onDelete: 'cascade' \}\)/,
  )
})
