import assert from 'node:assert/strict'
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'alembic-versions')

test("an Alembic project's migrations made of op calls are ported to SQL with their revision ids, and build the schema Alembic's would", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  cpSync(FIXTURES, project.versions, { recursive: true })

  const dry = await project.cli(['convert', 'migrations/versions', '--dry-run', '--json'])
  assert.equal(dry.code, 0, dry.stderr)
  const planned = JSON.parse(dry.stdout)
  assert.equal(planned.tool, 'alembic')
  assert.deepEqual(
    planned.ported.map((m: { revision: string }) => m.revision),
    ['a1b2c3', 'abc123def456', 'bcd234', 'def456', 'ef5678', 'f00d01'],
  )
  assert.deepEqual(
    planned.notPorted.map((m: { revision: string; line: number }) => [m.revision, m.line]),
    [['cde345', 14]],
  )
  assert.deepEqual(
    readdirSync(project.versions).filter((name) => !name.endsWith('.py')),
    [],
    'a dry run writes nothing',
  )

  const ported = await project.cli(['convert', 'migrations/versions'])
  assert.equal(ported.code, 0, ported.stderr)
  assert.match(
    ported.stdout,
    /^✓ Ported 6 of 7 Alembic migrations in migrations\/versions to SQL, with the same revision ids \(alembic_version needs no stamp\)\n/,
  )
  assert.match(
    ported.stdout,
    /! not ported: cde345_migrate_prefs\.py:14: `connection = op\.get_bind\(\)` is Python code \(a data migration\): port it by hand as a TypeScript migration with the same revision id/,
  )
  // sa.Enum(...).create(op.get_bind()): the type, then the column (add_column creates none).
  assert.match(
    readFileSync(join(project.versions, 'ef5678_status_enum.sql'), 'utf8'),
    /CREATE TYPE user_status AS ENUM \('active', 'gone'\);\n\nALTER TABLE users ADD COLUMN status user_status;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN status;\n\nDROP TYPE user_status;\n$/,
  )
  assert.ok(existsSync(join(project.versions, 'bcd234_add_preferences.py.ported')))
  assert.ok(existsSync(join(project.versions, 'cde345_migrate_prefs.py')), 'not ported: left as it is')
  const sql = readFileSync(join(project.versions, 'abc123def456_add_user_sessions.sql'), 'utf8')
  assert.match(
    sql,
    /^-- revision: abc123def456\n-- down_revision: none\n-- message: Add user sessions table\n/,
  )
  assert.match(sql, /CREATE TABLE user_sessions \(\n {4}id SERIAL NOT NULL,\n {4}user_id varchar NOT NULL,/)

  // doctor says what is left to port, and how.
  const doctor = JSON.parse((await project.cli(['doctor', '--json'])).stdout) as {
    checks: { id: string; details: string[] }[]
  }
  assert.deepEqual(doctor.checks.find((check) => check.id === 'migrations')!.details, [
    'several heads: `strata merge -m "merge" heads` joins them',
    '1 Alembic migration Strata reads but does not run: `strata convert migrations/versions` ports those made of op calls to SQL, with the same revision ids',
  ])

  // The history reads as before, labels and merges included.
  const heads = await project.cli(['heads'])
  assert.equal(heads.stdout, 'a1b2c3 (head)\ndef456 (billing) (head)\nef5678 (head)\n')

  // Run on a database: the schema is what Alembic would have built.
  const up = await project.cli(['upgrade', 'f00d01'])
  assert.equal(up.code, 0, up.stderr)
  const column = async (table: string, name: string) =>
    db.one(
      `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE attrelid = $1::regclass AND attname = $2`,
      [table, name],
    )
  assert.match((await column('user_sessions', 'id')).default, /^nextval\('user_sessions_id_seq'::regclass\)$/)
  assert.deepEqual(await column('users', 'email'), {
    type: 'character varying(320)',
    not_null: true,
    default: null,
  })
  assert.equal((await column('users', 'created_at')).default, 'now()')
  assert.equal((await column('users', 'legacy_note')).type, 'text')
  const indexes = await db.query(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('users', 'user_sessions') ORDER BY 1",
  )
  const byName = Object.fromEntries(indexes.rows.map((row) => [row.indexname, row.indexdef]))
  assert.match(byName.ix_user_sessions_token, /ON public\.user_sessions USING btree \(token\)/)
  assert.match(byName.ix_users_tenant_id, /ON public\.users USING btree \(tenant_id\)/)
  assert.match(byName.ix_users_lower_email, /CREATE UNIQUE INDEX .* \(lower\(\(email\)::text\)\)/)
  const fk = await db.one("SELECT confdeltype FROM pg_constraint WHERE conname = 'fk_sessions_user'")
  assert.equal(fk.confdeltype, 'c')
  assert.equal((await db.one("SELECT obj_description('users'::regclass) AS c")).c, 'people who sign in')

  const down = await project.cli(['downgrade', 'base'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal((await db.one("SELECT to_regclass('users')::text AS t")).t, null)

  // The billing branch: a foreign key, a check, a named primary key.
  assert.equal((await project.cli(['upgrade', 'billing@head'])).code, 0)
  assert.equal((await column('orders', 'total')).default, "'0'::numeric")
  await assert.rejects(
    db.query("INSERT INTO users (email) VALUES ('a@b'); INSERT INTO orders (user_id, total) VALUES (1, -1)"),
    /ck_orders_total/,
  )

  // A database Alembic migrated needs no stamp: its alembic_version names these revisions.
  assert.equal((await project.cli(['current'])).stdout, 'def456 (billing) (head)\n')
  assert.equal((await project.cli(['upgrade', 'ef5678'])).code, 0)
  assert.equal((await column('users', 'status')).type, 'user_status')
})

test('Alembic migrations outside migrations.directories are refused, nothing written', async (t) => {
  const project = testProject(t)
  cpSync(FIXTURES, join(project.dir, 'alembic', 'versions'), { recursive: true })
  const refused = await project.cli(['convert', 'alembic/versions'])
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /^error: alembic\/versions is not among migrations\.directories: the ported migrations are written beside the Alembic ones/,
  )
  assert.ok(!readdirSync(join(project.dir, 'alembic', 'versions')).some((name) => name.endsWith('.sql')))
  // --from alembic on a directory without any: said so.
  const empty = await project.cli(['convert', 'migrations/versions', '--from', 'alembic'])
  assert.equal(empty.code, 2)
  assert.match(
    empty.stderr,
    /^error: migrations\/versions holds no Alembic migration \(\.py files with revision = '\.\.\.'\)\n {2}hint: name Alembic's versions directory/,
  )
})

test("Alembic's autogenerate output ports as written: identity and computed columns, comments, JSONB, composite keys, op.f names, bulk_insert rows", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'alembic-autogenerate'), project.versions, {
    recursive: true,
  })
  const ported = await project.cli(['convert', 'migrations/versions'])
  assert.equal(ported.code, 0, ported.stderr)
  assert.match(ported.stdout, /Ported 2 of 2 Alembic migrations/)
  const sql = readFileSync(join(project.versions, '0a1_autogen.sql'), 'utf8')
  assert.match(sql, /id integer NOT NULL GENERATED ALWAYS AS IDENTITY,/)
  assert.match(sql, /slug text GENERATED ALWAYS AS \(lower\(name\)\) STORED,/)
  assert.match(sql, /COMMENT ON COLUMN accounts\.name IS 'display name';/)
  assert.match(sql, /PRIMARY KEY \(account_id, user_name\)/)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const columns = await db.query(
    "SELECT column_name, data_type, is_identity, is_generated FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY ordinal_position",
  )
  assert.deepEqual(
    columns.rows.map((row) => [row.column_name, row.data_type, row.is_identity, row.is_generated]),
    [
      ['id', 'integer', 'YES', 'NEVER'],
      ['name', 'character varying', 'NO', 'NEVER'],
      ['data', 'jsonb', 'NO', 'NEVER'],
      ['total', 'numeric', 'NO', 'NEVER'],
      ['slug', 'text', 'NO', 'ALWAYS'],
      ['created', 'timestamp with time zone', 'NO', 'NEVER'],
    ],
  )
  assert.equal((await db.one("SELECT obj_description('accounts'::regclass) AS c")).c, 'customer accounts')
  // op.bulk_insert's rows, quotes and NULLs included.
  assert.deepEqual((await db.query('SELECT name, total::text FROM accounts ORDER BY id')).rows, [
    { name: 'acme', total: '10.50' },
    { name: "O'Brien & Co", total: null },
  ])
  const down = await project.cli(['downgrade', 'base'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal((await db.one("SELECT to_regclass('accounts')::text AS t")).t, null)
})

test('--scaffold writes an Alembic data migration as a TypeScript migration to finish: same ids, its Python in comments, refusing to run until written', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  cpSync(FIXTURES, project.versions, { recursive: true })

  const scaffolded = await project.cli(['convert', 'migrations/versions', '--scaffold'])
  assert.equal(scaffolded.code, 0, scaffolded.stderr)
  assert.match(
    scaffolded.stdout,
    /! not ported: cde345_migrate_prefs\.py:14: .*\n {6}scaffolded cde345_migrate_prefs\.ts: its Python in comments, an upgrade that refuses to run until written\n/,
  )
  assert.match(
    scaffolded.stdout,
    /next: write the functions of cde345_migrate_prefs\.ts from the Python in it;/,
  )
  assert.ok(existsSync(join(project.versions, 'cde345_migrate_prefs.py.ported')))
  const ts = readFileSync(join(project.versions, 'cde345_migrate_prefs.ts'), 'utf8')
  assert.match(
    ts,
    /^export const revision = 'cde345'\nexport const downRevision: string \| string\[\] \| null = 'bcd234'\n/m,
  )
  assert.match(ts, /\/\/ {3}connection = op\.get_bind\(\)\n {2}\/\/ {3}batch_size = 1000\n/)
  // Its downgrade was `pass`: Alembic's "no way back", so none.
  assert.doesNotMatch(ts, /function downgrade/)

  // The history reads as before; running it stops there and says what is left to do.
  assert.equal(
    (await project.cli(['heads'])).stdout,
    'a1b2c3 (head)\ndef456 (billing) (head)\nef5678 (head)\n',
  )
  const up = await project.cli(['upgrade', 'cde345'])
  assert.equal(up.code, 1, up.stdout)
  assert.match(
    up.stderr,
    /^error: upgrade cde345 \(migrate_user_preferences\) failed: cde345 is not ported yet: write its upgrade\(\) from the Python in the file, then remove this line\n/,
  )
  assert.equal((await db.one('SELECT version_num FROM alembic_version')).version_num, 'bcd234')

  // Not for SQL migrations.
  const prisma = await project.cli(['convert', 'migrations/versions', '--scaffold', '--from', 'prisma'])
  assert.equal(prisma.code, 2)
  assert.match(prisma.stderr, /^error: --scaffold is for Alembic migrations/)
})
