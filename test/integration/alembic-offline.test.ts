import assert from 'node:assert/strict'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type pg from 'pg'
import { readCatalog } from '../../src/health/drift/catalog-snapshot.js'
import { compareCatalogs } from '../../src/health/drift/compare-catalogs.js'
import { createTestDatabase, type TestDatabase, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

// Migrations of an Alembic project and the SQL Alembic 1.8.1 itself wrote for them
// (`alembic upgrade head --sql`; see the fixture's README): the port must build what
// Alembic built, object for object, and take it down again the same way.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const FIXTURE = join(FIXTURES, 'alembic-offline')

const versionTables = (_schema: string, table: string) =>
  table !== 'alembic_version' && !table.startsWith('strata_')

/** Everything the catalog comparison reads, plus comments and the rows of the seeded table. */
async function schemaOf(database: TestDatabase) {
  return withClient(database.spec, async (client: pg.Client) => ({
    catalog: await readCatalog(client, ['public'], versionTables),
    comments: (
      await client.query(
        `SELECT c.relname, a.attname, d.description
           FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' ORDER BY 1, 2`,
      )
    ).rows,
    types: (
      await client.query(
        "SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e' ORDER BY 1",
      )
    ).rows.map((row) => row.typname),
    plans: (await client.query("SELECT to_regclass('price_plans') IS NOT NULL AS present")).rows[0].present
      ? (await client.query('SELECT id, name, tier::text FROM price_plans ORDER BY id')).rows
      : [],
  }))
}

/**
 * Runs one of Alembic's scripts as psql would: statement by statement (its statements end
 * with `;` and a blank line), since CREATE INDEX CONCURRENTLY refuses a multi-statement query.
 */
async function runScript(database: TestDatabase, file: string, fixture = FIXTURE): Promise<void> {
  const script = readFileSync(join(fixture, file), 'utf8')
  for (const statement of script.split(/;\n\n/)) {
    const sql = statement.replace(/^--.*$/gm, '').trim()
    if (sql !== '') await database.query(sql)
  }
}

async function assertSameSchema(ported: TestDatabase, alembic: TestDatabase, when: string): Promise<void> {
  const [mine, theirs] = await Promise.all([schemaOf(ported), schemaOf(alembic)])
  assert.deepEqual(compareCatalogs(mine.catalog, theirs.catalog).differences, [], when)
  assert.deepEqual(mine.comments, theirs.comments, `${when}: comments`)
  assert.deepEqual(mine.types, theirs.types, `${when}: enum types`)
  assert.deepEqual(mine.plans, theirs.plans, `${when}: bulk_insert rows`)
}

test("the port of an Alembic project builds what Alembic's own SQL builds, and takes it down the same way", async (t) => {
  const [alembic, ported] = await Promise.all([createTestDatabase(t), createTestDatabase(t)])
  const project = testProject(t, ported)
  cpSync(join(FIXTURE, 'versions'), project.versions, { recursive: true })

  const converted = await project.cli(['convert', 'migrations/versions'])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(converted.stdout, /^✓ Ported 5 of 5 Alembic migrations/)
  const statusSql = readFileSync(join(project.versions, 'f03_order_status.sql'), 'utf8')
  // sa.Enum(...).create(op.get_bind()): the type first; checkfirst=True: only when missing.
  assert.match(statusSql, /^CREATE TYPE order_status AS ENUM \('open', 'paid', 'void'\);$/m)
  assert.match(
    statusSql,
    /^DO \$\$ BEGIN CREATE TYPE order_channel AS ENUM \('web', 'api'\); EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;$/m,
  )
  assert.match(statusSql, /^DROP TYPE IF EXISTS order_channel;$/m)
  // with op.get_context().autocommit_block(): the migration runs outside a transaction.
  assert.match(readFileSync(join(project.versions, 'f04_autogen.sql'), 'utf8'), /^-- transactional: false$/m)
  // Two tables of one migration share an enum: one CREATE TYPE, as SQLAlchemy writes.
  const accountsSql = readFileSync(join(project.versions, 'f01_accounts.sql'), 'utf8')
  assert.equal(accountsSql.match(/CREATE TYPE plan_tier/g)?.length, 1)

  await runScript(alembic, 'alembic-upgrade.sql')
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  await assertSameSchema(ported, alembic, 'at head')
  assert.equal((await ported.one('SELECT version_num FROM alembic_version')).version_num, 'f05')

  await runScript(alembic, 'alembic-downgrade.sql')
  const downgraded = await project.cli(['downgrade', 'base'])
  assert.equal(downgraded.code, 0, downgraded.stderr)
  await assertSameSchema(ported, alembic, 'at base')
  assert.deepEqual((await schemaOf(ported)).types, [], 'the enum types are gone')
})

test("a project's naming_convention names the ported constraints as Alembic named them", async (t) => {
  const fixture = join(FIXTURES, 'alembic-naming')
  const [alembic, ported] = await Promise.all([createTestDatabase(t), createTestDatabase(t)])
  const project = testProject(t, ported)
  cpSync(join(fixture, 'app'), join(project.dir, 'app'), { recursive: true })
  cpSync(join(fixture, 'versions'), project.versions, { recursive: true })

  const converted = await project.cli(['convert', 'migrations/versions'])
  assert.equal(converted.code, 0, converted.stderr)
  assert.match(
    converted.stdout,
    /\n {2}constraint and index names follow the naming_convention of app\/models\.py, as Alembic's did\n/,
  )
  await runScript(alembic, 'alembic-upgrade.sql', fixture)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await assertSameSchema(ported, alembic, 'at head')
  const names = await ported.query(
    "SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY 1",
  )
  assert.deepEqual(
    names.rows.map((row) => row.conname),
    [
      'ck_orders_note_short',
      'fk_orders_account_id_accounts',
      'fk_orders_payer_id_accounts',
      'pk_orders',
      'uq_orders_note',
      'uq_orders_ref',
    ],
  )
  // The downgrade drops them by those names.
  await runScript(alembic, 'alembic-downgrade.sql', fixture)
  const down = await project.cli(['downgrade', 'base'])
  assert.equal(down.code, 0, down.stderr)
  await assertSameSchema(ported, alembic, 'at base')
})
