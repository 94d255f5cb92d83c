import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'

/** A URL with query parameters added. */
const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`

/** Writes files under `dir`: `{ 'a/b.sql': text }`. */
function writeTree(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

test("Prisma's migrations become a chain of SQL migrations; the database Prisma migrated is stamped where _prisma_migrations says, and the rest upgrade", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  const init =
    '-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "email" TEXT NOT NULL,\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n'
  const orders =
    'CREATE TABLE "Order" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL, CONSTRAINT "Order_pkey" PRIMARY KEY ("id"));\nALTER TABLE "Order" ADD CONSTRAINT "Order_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id");\n'
  writeTree(join(project.dir, 'prisma', 'migrations'), {
    // Prisma's baselining convention names the first one 0_init.
    '0_init/migration.sql': init,
    '20240215093000_add_orders/migration.sql': orders,
    '20240301000000_order_index/migration.sql':
      'CREATE INDEX CONCURRENTLY "Order_userId_idx" ON "Order"("userId");\n',
    'migration_lock.toml': 'provider = "postgresql"\n',
  })
  // Prisma applied the first two.
  await db.query(init)
  await db.query(orders)
  await db.query(
    `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
     INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('1', 'a', now(), '0_init'), ('2', 'b', now(), '20240215093000_add_orders')`,
  )

  const dry = await project.cli(['convert', 'prisma/migrations', '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /^Would convert 3 prisma migrations from prisma\/migrations\n/)
  assert.deepEqual(readdirSync(project.versions), [])

  const converted = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /20240301000000_order_index\/migration\.sql → .*v20240301000000_order_index\.sql {2}\(no downgrade; transactional: false, CREATE INDEX CONCURRENTLY "Order_userId_idx" runs only outside a transaction\)/,
  )
  assert.match(converted.stdout, /_prisma_migrations lists 2 migrations of 3 applied\n/)
  assert.match(
    converted.stdout,
    /next: `strata stamp v20240215093000` on it .*; then `strata upgrade head` applies 1 migration prisma had not \(v20240301000000\)\n$/,
  )
  const second = readFileSync(join(project.versions, 'v20240215093000_add_orders.sql'), 'utf8')
  assert.match(second, /^-- revision: v20240215093000\n-- down_revision: v0\n-- message: add orders\n/)
  assert.match(second, /-- create_date: 2024-02-15 09:30:00\n/)
  assert.match(
    second,
    /-- migrate:up\n-- Converted from prisma: 20240215093000_add_orders\/migration\.sql\nCREATE TABLE "Order"/,
  )

  // Upgrading before stamping meets Prisma's tables: the hint says to stamp, not to edit.
  const unstamped = await project.cli(['upgrade', 'head'])
  assert.equal(unstamped.code, 1, unstamped.stderr)
  assert.match(unstamped.stderr, /upgrade v0 \(init\) failed: ERROR 42P07: relation "User" already exists/)
  assert.match(
    unstamped.stderr,
    /hint: the database has no Strata revision yet, but already holds what v0 creates: it was migrated by Prisma Migrate \(its table _prisma_migrations is here\)\. Do not edit the migration: mark the revision the database is at with `strata stamp REV`/,
  )
  assert.equal((await project.cli(['stamp', 'v20240215093000'])).code, 0)
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /Running upgrade v20240215093000 -> v20240301000000, order index/)
  assert.equal(
    (await db.one('SELECT to_regclass(\'"Order_userId_idx"\')::text AS name')).name,
    '"Order_userId_idx"',
  )
  // Converted without a downgrade: check accepts that for them, and the schema matches.
  const check = await project.cli(['check', '-r', 'base:head'])
  assert.equal(check.code, 0, check.stdout)
  const verify = await project.cli(['verify'])
  assert.equal(verify.code, 0, verify.stdout)

  // Run again (for another database of the project, say), with a migration written since:
  // nothing is written, and this database is at a Strata revision already.
  const written = readFileSync(join(project.versions, 'v0_init.sql'), 'utf8')
  project.sql('d4e5f6', { down: 'v20240301000000', up: 'SELECT 1;' })
  const again = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(again.code, 0, again.stderr)
  assert.match(
    again.stdout,
    /^✓ 3 prisma migrations from prisma\/migrations converted before: nothing written\n/,
  )
  assert.match(
    again.stdout,
    /The database \(.*\) is at v20240301000000 in Strata's version table already: nothing to stamp; `strata upgrade head` applies what follows\n$/,
  )
  assert.equal(readFileSync(join(project.versions, 'v0_init.sql'), 'utf8'), written)
  // Another database Prisma migrated, not yet stamped: where to stamp it.
  const other = await createTestDatabase(t)
  await other.query(init)
  await other.query(
    `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
     INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('1', 'a', now(), '0_init')`,
  )
  const forOther = await project.cli(['convert', 'prisma/migrations'], { DATABASE_URL: other.url })
  assert.equal(forOther.code, 0, forOther.stderr)
  assert.match(forOther.stdout, /next: `strata stamp v0` on it/)

  // The team goes on generating SQL with Prisma (migrate dev --create-only): the new one is
  // converted after the head, Strata-written migrations included, and nothing else is touched.
  writeTree(join(project.dir, 'prisma', 'migrations'), {
    '20240401000000_add_status/migration.sql': 'ALTER TABLE "Order" ADD COLUMN "status" TEXT;\n',
  })
  const appended = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(appended.code, 0, appended.stderr)
  assert.match(
    appended.stdout,
    /^✓ Converted 1 new prisma migration from prisma\/migrations, after d4e5f6 \(3 converted before\)\n {2}20240401000000_add_status\/migration\.sql → \S+v20240401000000_add_status\.sql {2}\(no downgrade\)\n/,
  )
  assert.match(
    readFileSync(join(project.versions, 'v20240401000000_add_status.sql'), 'utf8'),
    /^-- revision: v20240401000000\n-- down_revision: d4e5f6\n/,
  )
  assert.equal(readFileSync(join(project.versions, 'v0_init.sql'), 'utf8'), written)
  const upStatus = await project.cli(['upgrade', 'head'])
  assert.equal(upStatus.code, 0, upStatus.stderr)
  assert.match(upStatus.stdout, /Running upgrade d4e5f6 -> v20240401000000, add status/)

  // One dated before what was converted (a branch merged late) would run out of Prisma's
  // order: refused, nothing written.
  writeTree(join(project.dir, 'prisma', 'migrations'), {
    '20240101000000_late_branch/migration.sql': 'SELECT 1;\n',
  })
  const files = readdirSync(project.versions).sort()
  const late = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(late.code, 2, late.stdout)
  assert.match(
    late.stderr,
    /^error: 20240101000000_late_branch\/migration\.sql is new, but prisma orders it before 20240215093000_add_orders\/migration\.sql, converted already as v20240215093000\n {2}hint: give it a version after 20240401000000 in prisma \(rename it\), so that it comes last, then convert again\n$/,
  )
  assert.deepEqual(readdirSync(project.versions).sort(), files)

  // Two heads: the new ones would have no single revision to follow.
  rmSync(join(project.dir, 'prisma', 'migrations', '20240101000000_late_branch'), { recursive: true })
  project.sql('e7f8a9', { down: 'd4e5f6', message: 'a branch', up: 'SELECT 3;' })
  writeTree(join(project.dir, 'prisma', 'migrations'), {
    '20240501000000_more/migration.sql': 'SELECT 4;\n',
  })
  const twoHeads = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(twoHeads.code, 2, twoHeads.stdout)
  assert.match(
    twoHeads.stderr,
    /^error: the migrations in migrations\/versions have 2 heads \((v20240401000000, e7f8a9|e7f8a9, v20240401000000)\): the new prisma migrations need one to follow\n {2}hint: join the heads first: strata merge -m "merge" heads\n$/,
  )
})

test("Prisma's BEGIN/COMMIT around an enum change is left out: the converted migration is one transaction, and runs", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeTree(join(project.dir, 'prisma', 'migrations'), {
    '20240101000000_init/migration.sql':
      'CREATE TYPE "Role" AS ENUM (\'USER\', \'ADMIN\', \'GUEST\');\nCREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "role" "Role" NOT NULL DEFAULT \'USER\');\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND;\n$$;\n',
    '20240102000000_drop_guest/migration.sql': [
      '-- AlterEnum',
      'BEGIN;',
      "CREATE TYPE \"Role_new\" AS ENUM ('USER', 'ADMIN');",
      'ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;',
      'ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");',
      'ALTER TYPE "Role" RENAME TO "Role_old";',
      'ALTER TYPE "Role_new" RENAME TO "Role";',
      'DROP TYPE "Role_old";',
      'ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT \'USER\';',
      'COMMIT;',
      '',
    ].join('\n'),
  })
  const converted = await project.cli(['convert', 'prisma/migrations'])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /20240102000000_drop_guest\/migration\.sql → .*\(no downgrade; its BEGIN\/COMMIT left out: Strata runs it in one transaction\)/,
  )
  assert.doesNotMatch(
    converted.stdout,
    /20240101000000_init\/migration\.sql → .*BEGIN/,
    "a function body's BEGIN ... END stays",
  )
  const second = readFileSync(join(project.versions, 'v20240102000000_drop_guest.sql'), 'utf8')
  assert.doesNotMatch(second, /^(BEGIN|COMMIT);$/m)
  assert.match(
    readFileSync(join(project.versions, 'v20240101000000_init.sql'), 'utf8'),
    /\nBEGIN\n {2}RETURN NEW;\nEND;\n/,
  )
  const check = await project.cli(['check', '--offline', '-r', 'base:head'])
  assert.doesNotMatch(check.stdout, /transaction-control/)
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.equal(
    (
      await db.one(
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) AS labels FROM pg_enum WHERE enumtypid = '\"Role\"'::regtype",
      )
    ).labels,
    'USER,ADMIN',
  )
})

test('dbmate: down sections become downgrades, transaction:false is kept, and a migration applied out of order is named instead of stamped over', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeTree(join(project.dir, 'db', 'migrations'), {
    '20240101000000_create_items.sql':
      '-- migrate:up\nCREATE TABLE items (id bigint PRIMARY KEY, name text);\n\n-- migrate:down\nDROP TABLE items;\n',
    '20240102000000_index_items.sql':
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY ix_items_name ON items (name);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY ix_items_name;\n',
    '20240103000000_add_price.sql':
      '-- migrate:up\nALTER TABLE items ADD COLUMN price numeric;\n\n-- migrate:down\nALTER TABLE items DROP COLUMN price;\n',
  })
  await db.query(
    'CREATE TABLE items (id bigint PRIMARY KEY, name text); ALTER TABLE items ADD COLUMN price numeric',
  )
  await db.query(
    "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240103000000')",
  )
  const converted = await project.cli(['convert', 'db/migrations'])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /20240102000000_index_items\.sql → .* {2}\(transactional: false, CREATE INDEX CONCURRENTLY ix_items_name runs only outside a transaction\)/,
  )
  assert.match(converted.stdout, /schema_migrations lists 2 migrations of 3 applied\n/)
  assert.match(
    converted.stdout,
    /✗ not applied though later ones are: v20240102000000 \(20240102000000_index_items\.sql\); apply them with dbmate first/,
  )
  assert.doesNotMatch(converted.stdout, /strata stamp/)
  const text = readFileSync(join(project.versions, 'v20240102000000_index_items.sql'), 'utf8')
  assert.match(text, /-- transactional: false\n/)
  assert.match(text, /-- migrate:down\nDROP INDEX CONCURRENTLY ix_items_name;/)

  // On a new database the chain runs up and down.
  const fresh = await createTestDatabase(t)
  const env = { DATABASE_URL: fresh.url }
  assert.equal((await project.cli(['upgrade', 'head'], env)).code, 0)
  assert.equal((await fresh.one("SELECT to_regclass('ix_items_name')::text AS name")).name, 'ix_items_name')
  const down = await project.cli(['downgrade', 'base'], env)
  assert.equal(down.code, 0, down.stderr)
  assert.equal((await fresh.one("SELECT to_regclass('items')::text AS name")).name, null)
})

test('golang-migrate: numeric versions in order (2 before 10), .down.sql files, and a dirty version is reported', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeTree(join(project.dir, 'migrations', 'sql'), {
    '2_create_a.up.sql': 'CREATE TABLE a (id int);',
    '2_create_a.down.sql': 'DROP TABLE a;',
    '10_create_b.up.sql': 'CREATE TABLE b (id int);',
    '10_create_b.down.sql': 'DROP TABLE b;',
  })
  await db.query(
    'CREATE TABLE a (id int); CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)',
  )
  await db.query('INSERT INTO schema_migrations VALUES (2, false)')
  const converted = await project.cli(['convert', 'migrations/sql', '--json'])
  assert.equal(converted.code, 0, converted.stderr)
  const result = JSON.parse(converted.stdout)
  assert.equal(result.tool, 'golang-migrate')
  assert.deepEqual(
    result.migrations.map((m: { revision: string; downRevision?: string }) => [
      m.revision,
      m.downRevision ?? null,
    ]),
    [
      ['v2', null],
      ['v10', 'v2'],
    ],
  )
  assert.equal(result.database.stamp, 'v2')
  assert.deepEqual(result.database.pending, ['v10'])

  await db.query('UPDATE schema_migrations SET version = 10, dirty = true')
  const project2 = testProject(t, db)
  writeTree(join(project2.dir, 'gm'), {
    '2_create_a.up.sql': 'CREATE TABLE a (id int);',
    '10_b.up.sql': 'SELECT 1;',
  })
  const dirty = await project2.cli(['convert', 'gm'])
  assert.equal(dirty.code, 0, dirty.stderr)
  assert.match(
    dirty.stdout,
    /✗ version 10 is dirty: it failed part-way, so its changes may be half applied\n/,
  )
  assert.match(dirty.stdout, /next: resolve what is marked above/)
})

test("Flyway: versions 1, 1.1 and 2 in Flyway's order, an undo script as the downgrade, a repeatable script left out and named", async (t) => {
  const project = testProject(t)
  writeTree(join(project.dir, 'sql'), {
    'V1__create_a.sql': 'CREATE TABLE a (id int);',
    'V1_1__add_b.sql': 'ALTER TABLE a ADD COLUMN b int;',
    'V2__create_c.sql': 'CREATE TABLE c (id int);',
    'U2__create_c.sql': 'DROP TABLE c;',
    'R__views.sql': 'CREATE OR REPLACE VIEW v AS SELECT 1;',
  })
  const converted = await project.cli(['convert', 'sql', '--json'])
  assert.equal(converted.code, 0, converted.stderr)
  const result = JSON.parse(converted.stdout)
  assert.deepEqual(
    result.migrations.map((m: { revision: string; hasDowngrade: boolean }) => [m.revision, m.hasDowngrade]),
    [
      ['v1', false],
      ['v1_1', false],
      ['v2', true],
    ],
  )
  assert.equal(result.leftOut[0].file, 'R__views.sql')
  const human = testProject(t)
  writeTree(join(human.dir, 'sql'), { 'V1__a.sql': 'SELECT 1;', 'R__views.sql': 'SELECT 2;' })
  const text = await human.cli(['convert', 'sql'])
  assert.match(text.stdout, /! left out R__views\.sql: a repeatable script runs again whenever it changes/)
  assert.match(text.stdout, /next: `strata stamp REV` on each database flyway migrated/)
  // A script saved as Windows-1252 is refused where it stops being UTF-8, nothing written.
  const latin1 = testProject(t)
  mkdirSync(join(latin1.dir, 'sql'))
  writeFileSync(
    join(latin1.dir, 'sql', 'V1__seed.sql'),
    Buffer.from("INSERT INTO people VALUES ('Jos\xe9');\n", 'latin1'),
  )
  const refused = await latin1.cli(['convert', 'sql'])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /^error: \S*V1__seed\.sql:1:32: not UTF-8 \(byte 0xE9\)/)
  assert.deepEqual(readdirSync(latin1.versions), [])
})

test('bad input is refused with exit 2 and nothing written: JavaScript migrations without node-pg-migrate, no directory, an unknown tool, nothing recognisable, the same directory', async (t) => {
  const project = testProject(t)
  writeTree(join(project.dir, 'npm'), {
    '1700000000000_init.sql': '-- Up Migration\nCREATE TABLE a (id int);\n-- Down Migration\nDROP TABLE a;\n',
    '1700000000001_more.js': 'exports.up = (pgm) => { pgm.createTable("b", { id: "id" }) }\n',
  })
  const js = await project.cli(['convert', 'npm'])
  assert.equal(js.code, 2)
  assert.match(
    js.stderr,
    /^error: \S+npm holds node-pg-migrate JavaScript or TypeScript migrations, and node-pg-migrate is not installed for it\n {2}hint: strata renders them with the project's own node-pg-migrate: npm install node-pg-migrate \(version 7 or newer\) in the project/,
  )
  assert.deepEqual(readdirSync(project.versions), [])

  const missing = await project.cli(['convert', 'nowhere'])
  assert.equal(missing.code, 2)
  assert.match(
    missing.stderr,
    /^error: nowhere is not a directory\n {2}hint: name the other tool's migrations directory/,
  )

  const tool = await project.cli(['convert', 'npm', '--from', 'liquibase'])
  assert.equal(tool.code, 2)
  assert.match(
    tool.stderr,
    /^error: --from liquibase is not a tool strata convert reads\n {2}hint: one of: prisma, dbmate, golang-migrate, flyway, typeorm, knex, node-pg-migrate\n$/,
  )

  // Prisma migrations made for another database.
  writeTree(join(project.dir, 'mysql-prisma'), {
    '20240101000000_init/migration.sql':
      'CREATE TABLE `User` (`id` INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`));\n',
    'migration_lock.toml': 'provider = "mysql"\n',
  })
  const mysql = await project.cli(['convert', 'mysql-prisma'])
  assert.equal(mysql.code, 2)
  assert.match(
    mysql.stderr,
    /^error: .*mysql-prisma: these Prisma migrations are for mysql \(migration_lock\.toml\), not PostgreSQL\n/,
  )
  assert.deepEqual(readdirSync(project.versions), [])

  writeTree(join(project.dir, 'other'), { 'notes.txt': 'hello' })
  const unknown = await project.cli(['convert', 'other'])
  assert.equal(unknown.code, 2)
  assert.match(
    unknown.stderr,
    /holds no migrations of a tool strata convert reads\n {2}hint: it reads prisma \(<timestamp>_<name>\/migration\.sql\);/,
  )

  // A migrations directory that holds other migrations: a conversion starts the history.
  project.sql('a1', { up: 'SELECT 1;' })
  writeTree(join(project.dir, 'npm-sql-later'), {
    '1700000000000_init.sql': '-- Up Migration\nCREATE TABLE a (id int);\n',
  })
  const refusedTarget = await project.cli(['convert', 'npm-sql-later'])
  assert.equal(refusedTarget.code, 2, refusedTarget.stdout)
  assert.match(
    refusedTarget.stderr,
    /^error: migrations\/versions already holds 1 migration file: a conversion starts the history\n/,
  )
  rmSync(join(project.versions, 'a1_m.sql'))

  const same = await project.cli(['convert', 'migrations/versions'])
  assert.equal(same.code, 2)
  assert.match(same.stderr, /is Strata's migrations directory too/)
  assert.equal(existsSync(join(project.versions)), true)
  assert.deepEqual(readdirSync(project.versions), [])

  // Its SQL files alone convert, with their down sections.
  writeTree(join(project.dir, 'npm-sql'), {
    '1700000000000_init.sql': '-- Up Migration\nCREATE TABLE a (id int);\n-- Down Migration\nDROP TABLE a;\n',
  })
  const sqlOnly = await project.cli(['convert', 'npm-sql'])
  assert.equal(sqlOnly.code, 0, sqlOnly.stderr)
  const file = readFileSync(join(project.versions, 'v1700000000000_init.sql'), 'utf8')
  assert.match(
    file,
    /-- migrate:up\n-- Converted from node-pg-migrate: 1700000000000_init\.sql\nCREATE TABLE a \(id int\);\n\n-- migrate:down\nDROP TABLE a;/,
  )
})

test("a Prisma project's DATABASE_URL works as Prisma reads it: ?schema= is where the tables go, and a pooled pgbouncer=true URL is refused for migrating", async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE SCHEMA app')
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE users (id bigint PRIMARY KEY);', downSql: 'DROP TABLE users;' })
  const pooled = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: withQuery(db.url, 'schema=app&pgbouncer=true'),
  })
  assert.equal(pooled.code, 2, pooled.stderr)
  assert.match(
    pooled.stderr,
    /^error: the database URL goes through PgBouncer \(pgbouncer=true\): migrating needs one server session throughout, .* Nothing was changed\n/,
  )
  assert.equal((await db.one("SELECT to_regclass('public.alembic_version')::text AS name")).name, null)
  const withDirect = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: withQuery(db.url, 'pgbouncer=true'),
    DIRECT_URL: db.url,
  })
  assert.match(
    withDirect.stderr,
    /hint: DIRECT_URL is set \(Prisma's directUrl, which bypasses the pool\): DATABASE_URL="\$DIRECT_URL" strata/,
  )

  // doctor says so before anyone tries.
  const doctor = await project.cli(['doctor'], { DATABASE_URL: withQuery(db.url, 'pgbouncer=true') })
  assert.match(
    doctor.stdout,
    /! Database selected — from DATABASE_URL: .*, through PgBouncer \(pgbouncer=true\)\n {4}reading works through the pool; upgrade, downgrade, stamp and deploy refuse it/,
  )

  const direct = await project.cli(['upgrade', 'head'], {
    DATABASE_URL: withQuery(db.url, 'schema=app'),
  })
  assert.equal(direct.code, 0, direct.stderr)
  assert.equal((await db.one("SELECT to_regclass('app.users')::text AS name")).name, 'app.users')
  assert.equal((await db.one("SELECT to_regclass('public.users')::text AS name")).name, null)
})

/** A package of this repository's node_modules for a project directory, as `npm install` puts it there. */
function installPackage(dir: string, name: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  symlinkSync(join(import.meta.dirname, '..', '..', 'node_modules', name), join(dir, 'node_modules', name))
}

/** The rules a migration's report found. */
const rulesOf = (report: { findings: { rule: string }[] }) => report.findings.map((finding) => finding.rule)

/** `strata check --format json DIR`: its exit code and each migration's report. */
async function checkReports(project: TestProject, dir: string) {
  const checked = await project.cli(['check', '--format', 'json', dir])
  return {
    code: checked.code,
    output: checked.stdout + checked.stderr,
    reports: JSON.parse(checked.stdout).migrations,
  }
}

const NODE_PG_MIGRATE = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node-pg-migrate')

test("node-pg-migrate's JavaScript and TypeScript migrations become SQL rendered by node-pg-migrate itself: the same schema as node-pg-migrate builds, and the database it migrated is stamped", async (t) => {
  const migrated = await createTestDatabase(t)
  const fresh = await createTestDatabase(t)
  const project = testProject(t, fresh)
  installPackage(project.dir, 'node-pg-migrate')
  writeTree(join(project.dir, 'npm'), {
    '1700000000000_create-users.js': `const { PgLiteral } = require('node-pg-migrate')
exports.shorthands = { created: { type: 'timestamptz', notNull: true, default: new PgLiteral('current_timestamp') } }
exports.up = (pgm) => {
  pgm.createTable('users', { id: 'id', email: { type: 'varchar(320)', notNull: true, unique: true }, created_at: 'created' })
  pgm.createIndex('users', 'created_at')
}
`,
    // A shorthand of an earlier migration, an explicit down.
    '1700000000001_posts.js': `exports.up = (pgm) => {
  pgm.createTable('posts', { id: 'id', user_id: { type: 'integer', notNull: true, references: '"users"', onDelete: 'CASCADE' }, created_at: 'created' })
}
exports.down = (pgm) => { pgm.dropTable('posts') }
`,
    // TypeScript, no way back.
    '1700000000002_mood.ts': `import type { MigrationBuilder } from 'node-pg-migrate'
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createType('mood', ['happy', 'sad'])
  pgm.addColumns('users', { mood: { type: 'mood' } })
}
export const down = false
`,
    // Outside a transaction.
    '1700000000003_index.js': `exports.up = (pgm) => {
  pgm.noTransaction()
  pgm.addIndex('posts', ['user_id', 'created_at'], { concurrently: true, name: 'posts_user_created_idx' })
}
exports.down = (pgm) => {
  pgm.noTransaction()
  pgm.dropIndex('posts', ['user_id', 'created_at'], { concurrently: true, name: 'posts_user_created_idx' })
}
`,
  })
  const ran = spawnSync(NODE_PG_MIGRATE, ['up', '-m', join(project.dir, 'npm')], {
    cwd: project.dir,
    env: { ...process.env, DATABASE_URL: migrated.url },
    encoding: 'utf8',
  })
  assert.equal(ran.status, 0, ran.stderr + ran.stdout)

  // Before converting: check reads them as node-pg-migrate runs them, findings at the pgm call's line.
  const { code, output, reports } = await checkReports(project, 'npm')
  assert.equal(code, 1, output)
  assert.deepEqual(
    reports.map((report: { title: string }) => report.title),
    [
      'create users (node-pg-migrate)',
      'posts (node-pg-migrate)',
      'mood (node-pg-migrate)',
      'index (node-pg-migrate)',
    ],
  )
  // Its way back is analysed too: node-pg-migrate's own reverse of the first drops users.
  assert.ok(rulesOf(reports[0]).includes('downgrade-destroys-data'), rulesOf(reports[0]).join(' '))
  const mood = reports[2]
  assert.equal(mood.classification.class, 'additive')
  assert.deepEqual(
    mood.findings.map((finding: { rule: string; line: number }) => [finding.rule, finding.line]),
    [['missing-lock-timeout', 4]],
  )
  // pgm.noTransaction(): outside a transaction, so CONCURRENTLY is right there.
  assert.ok(!rulesOf(reports[3]).includes('concurrently-in-transaction'))

  const converted = await project.cli(['convert', 'npm'], { DATABASE_URL: migrated.url })
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /1700000000002_mood\.ts → migrations\/versions\/v1700000000002_mood\.sql {2}\(no downgrade\)/,
  )
  assert.match(converted.stdout, /1700000000003_index\.js → \S+ {2}\(transactional: false/)
  assert.match(
    converted.stdout,
    /pgmigrations lists 4 migrations of 4 applied\nnext: `strata stamp v1700000000003` on it/,
  )
  const users = readFileSync(join(project.versions, 'v1700000000000_create_users.sql'), 'utf8')
  assert.match(users, /"created_at" timestamptz DEFAULT current_timestamp NOT NULL/)
  // Without a down, node-pg-migrate's own reverse of the up side.
  assert.match(users, /-- migrate:down\nDROP INDEX "users_created_at_index";\nDROP TABLE "users";/)

  // The converted chain builds what node-pg-migrate built.
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  const diff = await project.cli(['diff', migrated.url])
  assert.equal(diff.code, 0, diff.stdout + diff.stderr)
  assert.match(diff.stdout, /have the same schema/)
  const stamped = await project.cli(['stamp', 'v1700000000003'], { DATABASE_URL: migrated.url })
  assert.equal(stamped.code, 0, stamped.stderr)
  assert.match(
    (await project.cli(['current'], { DATABASE_URL: migrated.url })).stdout,
    /v1700000000003 \(head\)/,
  )

  // A migration that reads the database has no fixed SQL: refused, nothing written.
  const reading = testProject(t)
  installPackage(reading.dir, 'node-pg-migrate')
  writeTree(join(reading.dir, 'npm'), {
    '1700000000000_seed.js':
      "exports.up = async (pgm) => {\n  const rows = await pgm.db.select('SELECT id FROM plans')\n  for (const row of rows) pgm.sql(`UPDATE plans SET x = ${row.id}`)\n}\n",
  })
  const refused = await reading.cli(['convert', 'npm'])
  assert.equal(refused.code, 2, refused.stdout)
  assert.match(
    refused.stderr,
    /^error: 1 node-pg-migrate migration in npm cannot be converted: 1700000000000_seed\.js \(it reads the database \(pgm\.db\.select\), so its SQL depends on the rows\)\n {2}hint: write what they do as SQL migrations/,
  )
  assert.deepEqual(readdirSync(reading.versions), [])

  // Code that fails in node-pg-migrate too: each file with its line, and the fix there.
  writeTree(join(reading.dir, 'broken'), {
    '1700000000000_a.js': 'exports.up = (pgm) => {\n  pgm.createTable("a", { id: "id" }\n}\n',
    '1700000000001_b.js': 'exports.up = (pgm) => {\n  pgm.createTabel("b", { id: "id" })\n}\n',
  })
  const broken = await reading.cli(['convert', 'broken'])
  assert.equal(broken.code, 2, broken.stdout)
  assert.equal(
    broken.stderr,
    'error: 2 node-pg-migrate migrations in broken cannot be converted: 1700000000000_a.js (line 3: syntax error: Unexpected token, expected ","); 1700000000001_b.js (line 2: failed while rendering it: pgm.createTabel is not a function)\n  hint: fix 1700000000000_a.js at line 3 (node-pg-migrate fails on it too), then run strata convert again\n',
  )
  assert.deepEqual(readdirSync(reading.versions), [])
})

test("Knex's migrations become SQL compiled by Knex itself: the same schema as knex migrate:latest builds, and the database it migrated is stamped", async (t) => {
  const migrated = await createTestDatabase(t)
  const fresh = await createTestDatabase(t)
  const project = testProject(t, fresh)
  installPackage(project.dir, 'knex')
  writeTree(join(project.dir, 'migrations'), {
    '20240101120000_create_users.js': `exports.up = function (knex) {
  return knex.schema.createTable('users', (table) => {
    table.increments('id')
    table.string('email', 320).notNullable().unique()
    table.timestamps(true, true)
  })
}
exports.down = (knex) => knex.schema.dropTable('users')
`,
    '20240102120000_posts.js': `exports.up = async function (knex) {
  await knex.schema.createTable('posts', (t) => {
    t.bigIncrements('id')
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.text('body')
    t.index(['user_id'])
  })
  await knex.raw('CREATE INDEX posts_body_idx ON posts (md5(body))')
  await knex.raw('UPDATE users SET email = lower(email) WHERE email <> ?', [''])
  await knex('users').insert({ email: "o'brien@example.com" })
}
exports.down = async (knex) => knex.schema.dropTable('posts')
`,
    '20240103120000_nick.js': `exports.config = { transaction: false }
exports.up = async (knex) => {
  await knex.schema.alterTable('users', (t) => { t.string('nick').defaultTo('x') })
  await knex.raw('CREATE INDEX CONCURRENTLY users_nick_idx ON users (nick)')
}
exports.down = async (knex) => {
  await knex.raw('DROP INDEX CONCURRENTLY users_nick_idx')
  await knex.schema.alterTable('users', (t) => { t.dropColumn('nick') })
}
`,
  })
  // knex migrate:latest, as the project ran it.
  const ran = spawnSync(
    process.execPath,
    [
      '-e',
      `const knex = require('knex')({ client: 'pg', connection: process.env.DATABASE_URL })
       knex.migrate.latest({ directory: 'migrations' })
         .then(() => knex.destroy(), (e) => { console.error(e); process.exit(1) })`,
    ],
    { cwd: project.dir, env: { ...process.env, DATABASE_URL: migrated.url }, encoding: 'utf8' },
  )
  assert.equal(ran.status, 0, ran.stderr + ran.stdout)

  // Before converting: check reads them as Knex runs them, findings at the awaited call's line.
  const { code, output, reports } = await checkReports(project, 'migrations')
  assert.equal(code, 1, output)
  assert.deepEqual(
    reports.map((report: { title: string }) => report.title),
    ['create users (knex)', 'posts (knex)', 'nick (knex)'],
  )
  assert.deepEqual(
    reports[2].findings
      .filter((finding: { rule: string }) => finding.rule === 'missing-lock-timeout')
      .map((finding: { line: number }) => finding.line),
    [3, 4],
  )
  // config = { transaction: false }: the CONCURRENTLY build runs outside a transaction.
  assert.ok(!rulesOf(reports[2]).includes('concurrently-in-transaction'))

  const converted = await project.cli(['convert', 'migrations'], { DATABASE_URL: migrated.url })
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(converted.stdout, /✓ Converted 3 knex migrations from migrations/)
  assert.match(converted.stdout, /20240103120000_nick\.js → \S+ {2}\(transactional: false/)
  const posts = readFileSync(join(project.versions, 'v20240102120000_posts.sql'), 'utf8')
  // Values inlined as Knex writes them.
  assert.match(posts, /UPDATE users SET email = lower\(email\) WHERE email <> '';/)
  assert.match(posts, /insert into "users" \("email"\) values \('o''brien@example\.com'\);/)
  assert.match(
    converted.stdout,
    /knex_migrations lists 3 migrations of 3 applied\nnext: `strata stamp v20240103120000` on it/,
  )

  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  const diff = await project.cli(['diff', migrated.url])
  assert.equal(diff.code, 0, diff.stdout + diff.stderr)
  assert.match(diff.stdout, /have the same schema/)
  assert.equal(
    (await fresh.one('SELECT count(*)::int AS n FROM users')).n,
    (await migrated.one('SELECT count(*)::int AS n FROM users')).n,
    'the data the migration inserts, too',
  )

  // TypeScript, as a project on ts-node writes them.
  const other = testProject(t)
  installPackage(other.dir, 'knex')
  writeTree(join(other.dir, 'typed'), {
    '20240101120000_tags.ts':
      "import type { Knex } from 'knex'\nexport async function up(knex: Knex): Promise<void> {\n  await knex.schema.createTable('tags', (t) => { t.increments(); t.string('name') })\n}\nexport async function down(knex: Knex): Promise<void> {\n  await knex.schema.dropTable('tags')\n}\n",
  })
  const typed = await other.cli(['convert', 'typed', '--dry-run'])
  assert.equal(typed.code, 0, typed.stderr)
  assert.match(typed.stdout, /Would convert 1 knex migration from typed\n {2}20240101120000_tags\.ts → /)

  // One that reads rows to decide what to do has no fixed SQL.
  writeTree(join(other.dir, 'reads'), {
    '20240101120000_backfill.js':
      "exports.up = async (knex) => {\n  if (!(await knex.schema.hasTable('plans'))) await knex.schema.createTable('plans', (t) => t.increments())\n}\nexports.down = async () => {}\n",
  })
  const reads = await other.cli(['convert', 'reads', '--dry-run'])
  assert.equal(reads.code, 2, reads.stdout)
  assert.match(
    reads.stderr,
    /1 knex migration in reads cannot be converted: 20240101120000_backfill\.js \(it reads the database \(a query: select/,
  )
  // check says the same, with the same way out.
  const readsChecked = await other.cli(['check', 'reads'])
  assert.equal(readsChecked.code, 2, readsChecked.stdout)
  assert.match(
    readsChecked.stderr,
    /knex cannot render this migration: it reads the database .*\n {2}hint: write what they do as SQL migrations \(Strata's\), or adopt the database with a baseline/,
  )
})

test("TypeORM's migration classes become SQL from their queryRunner.query calls: upgraded, stamped where TypeORM's migrations table says, checked; the schema builder is named, not guessed", async (t) => {
  const migrated = await createTestDatabase(t)
  const project = testProject(t)
  const migration = (timestamp: string, name: string, members: string, up: string, down: string) =>
    `import { MigrationInterface, QueryRunner } from "typeorm";

export class ${name}${timestamp} implements MigrationInterface {
    name = '${name}${timestamp}'
${members}
    public async up(queryRunner: QueryRunner): Promise<void> {
${up}
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
${down}
    }
}
`
  writeTree(join(project.dir, 'src', 'migrations'), {
    '1700000000000-CreateUsers.ts': migration(
      '1700000000000',
      'CreateUsers',
      '',
      `        await queryRunner.query(\`CREATE TABLE "user" ("id" SERIAL NOT NULL, "email" character varying NOT NULL, CONSTRAINT "PK_user" PRIMARY KEY ("id"))\`);
        await queryRunner.query(\`INSERT INTO "user" ("email") VALUES ($1)\`, ["o'brien@example.com"]);`,
      '        await queryRunner.query(`DROP TABLE "user"`);',
    ),
    '1700000000001-EmailIndex.ts': migration(
      '1700000000001',
      'EmailIndex',
      '    transaction = false\n',
      '        await queryRunner.query(`CREATE INDEX CONCURRENTLY "IDX_user_email" ON "user" ("email")`);',
      '        await queryRunner.query(`DROP INDEX CONCURRENTLY "IDX_user_email"`);',
    ),
  })
  // TypeORM applied the first one: its table and the SQL it ran.
  await migrated.query(
    `CREATE TABLE migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name character varying NOT NULL);
     INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, 'CreateUsers1700000000000');
     CREATE TABLE "user" ("id" SERIAL NOT NULL, "email" character varying NOT NULL, CONSTRAINT "PK_user" PRIMARY KEY ("id"))`,
  )

  const { code, output, reports } = await checkReports(project, 'src/migrations')
  assert.equal(code, 0, output)
  assert.deepEqual(
    reports.map((report: { title: string }) => report.title),
    ['CreateUsers (typeorm)', 'EmailIndex (typeorm)'],
  )
  assert.ok(!rulesOf(reports[1]).includes('concurrently-in-transaction'))

  const converted = await project.cli(['convert', 'src/migrations'], { DATABASE_URL: migrated.url })
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /1700000000001-EmailIndex\.ts → migrations\/versions\/v1700000000001_email_index\.sql {2}\(transactional: false/,
  )
  assert.match(
    converted.stdout,
    /migrations lists 1 migration of 2 applied\nnext: `strata stamp v1700000000000` on it/,
  )
  const users = readFileSync(join(project.versions, 'v1700000000000_create_users.sql'), 'utf8')
  assert.match(users, /-- create_date: 2023-11-14 22:13:20\.000\n/, "the timestamp's own date")
  assert.match(users, /INSERT INTO "user" \("email"\) VALUES \('o''brien@example\.com'\);/)

  // The database TypeORM migrated goes on from where it was.
  assert.equal((await project.cli(['stamp', 'v1700000000000'], { DATABASE_URL: migrated.url })).code, 0)
  const upgraded = await project.cli(['upgrade', 'head'], { DATABASE_URL: migrated.url })
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.equal(
    (await migrated.one(`SELECT to_regclass('"IDX_user_email"')::text AS index`)).index,
    '"IDX_user_email"',
  )

  // Built with TypeORM's schema builder: its SQL needs TypeORM and a database.
  writeTree(join(project.dir, 'builder'), {
    '1700000000000-Tags.ts': migration(
      '1700000000000',
      'Tags',
      '',
      '        await queryRunner.createTable(new Table({ name: "tags", columns: [] }));',
      '        await queryRunner.dropTable("tags");',
    ),
  })
  const builder = await project.cli(['convert', 'builder', '--dry-run'])
  assert.equal(builder.code, 2, builder.stdout)
  assert.match(
    builder.stderr,
    /^error: 1 typeorm migration in builder cannot be converted: 1700000000000-Tags\.ts \(it uses queryRunner\.createTable, TypeORM's own API \(its schema builder, its entity manager\), which needs TypeORM and a database to say its SQL\)\n {2}hint: write what they do as SQL migrations/,
  )
})
