import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

test('backups saved lists the copies kept in strata_saved; --prune drops those past retention only with --yes', async (t) => {
  // PostgreSQL 16, and only pg_dump 15 on this machine: what a step destroys is copied on the server.
  const database = await createTestDatabase(t, 16)
  const project = testProject(t, database)
  project.sql('a1', {
    message: 'audit',
    up: 'CREATE TABLE audit (id int); CREATE TABLE notes (id int, body text);',
    downSql: 'DROP TABLE notes; DROP TABLE audit;',
  })
  project.sql('b2', {
    down: 'a1',
    message: 'drop audit',
    up: 'DROP TABLE audit; ALTER TABLE notes DROP COLUMN body;',
    downSql: 'CREATE TABLE audit (id int); ALTER TABLE notes ADD COLUMN body text;',
  })
  assert.equal((await project.cli(['upgrade', 'a1'])).code, 0)
  await withClient(database.spec, (client) =>
    client.query("INSERT INTO audit VALUES (1), (2); INSERT INTO notes VALUES (1, 'kept')"),
  )
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)

  const listed = await project.cli(['--json', 'backups', 'saved'])
  assert.equal(listed.code, 0, listed.stderr)
  const copies = JSON.parse(listed.stdout).copies
  assert.deepEqual(copies.map((saved: { of: string }) => saved.of).sort(), ['audit', 'notes'])
  const copy = copies.find((saved: { of: string }) => saved.of === 'audit')
  assert.match(copy.name, /^strata_saved\.audit_\d{8}_\d{6}$/)
  // Each copy says what the upgrade destroyed of its own table.
  assert.equal(copy.why, 'destroyed by an upgrade (table audit (b2))')
  assert.equal(
    copies.find((saved: { of: string }) => saved.of === 'notes').why,
    'destroyed by an upgrade (column notes.body (b2))',
  )
  assert.ok(copy.bytes > 0)
  assert.equal(copy.rows, 2, 'the exact count of the rows copied')
  assert.match(
    (await project.cli(['backups', 'saved'])).stdout,
    /^copy +of +saved +rows +size +why\nstrata_saved\.audit_\d{8}_\d{6} +audit +\S+ \S+ +2 +/,
  )

  const alone = await project.cli(['backups', 'saved', '--yes'])
  assert.equal(alone.code, 2)
  assert.match(alone.stderr, /--yes confirms --prune; alone it does nothing/)
  // Fresh: retention keeps it.
  const fresh = await project.cli(['backups', 'saved', '--prune', '--yes'])
  assert.match(fresh.stdout, /no copy is older than 30 days \(2 copies in strata_saved\)/)
  // Forty days old by its comment: shown, then dropped with --yes, the schema with it.
  const [schema, table] = copy.name.split('.')
  await withClient(database.spec, (client) =>
    client.query(
      `COMMENT ON TABLE "${schema}"."${table}" IS 'audit at ${new Date(Date.now() - 40 * 86_400_000).toISOString()}: destroyed by an upgrade (table audit (b2))'`,
    ),
  )
  const shown = await project.cli(['backups', 'saved', '--prune'])
  assert.match(shown.stdout, /1 copy older than 30 days; drop it with --yes/)
  assert.equal(await countCopies(database.spec), 2)
  const dropped = await project.cli(['backups', 'saved', '--prune', '--yes'])
  assert.equal(dropped.code, 0, dropped.stderr)
  assert.match(dropped.stdout, /dropped 1 copy/)
  assert.equal(await countCopies(database.spec), 1, 'the fresh copy of notes stays')
  assert.match((await project.cli(['backups', 'saved'])).stdout, /^copy .*\nstrata_saved\.notes_\S+ +notes /)
  // The last copy gone, the schema goes with it.
  const notes = copies.find((saved: { of: string }) => saved.of === 'notes').name.split('.')[1]
  await withClient(database.spec, (client) =>
    client.query(
      `COMMENT ON TABLE strata_saved."${notes}" IS 'notes at ${new Date(Date.now() - 40 * 86_400_000).toISOString()}: old'`,
    ),
  )
  assert.match((await project.cli(['backups', 'saved', '--prune', '--yes'])).stdout, /dropped 1 copy/)
  assert.equal((await project.cli(['backups', 'saved'])).stdout, 'no copies in strata_saved\n')
  const schemaLeft = await withClient(database.spec, (client) =>
    client.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'strata_saved'"),
  )
  assert.equal(schemaLeft.rows[0].n, 0)
})

function countCopies(spec: Parameters<typeof withClient>[0]): Promise<number> {
  return withClient(spec, async (client) =>
    Number(
      (
        await client.query(
          "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'strata_saved'",
        )
      ).rows[0].n,
    ),
  )
}

test("a copy keeps columns of the database's own types as text, so a later downgrade can drop those types", async (t) => {
  const database = await createTestDatabase(t, 16)
  const project = testProject(t, database)
  project.sql('a1', {
    message: 'feelings',
    up: "CREATE TYPE mood AS ENUM ('calm', 'glad'); CREATE DOMAIN positive AS int CHECK (VALUE > 0); CREATE TABLE feelings (id int, m mood, p positive, history mood[], at timestamptz);",
    downSql: 'DROP TABLE feelings; DROP DOMAIN positive; DROP TYPE mood;',
  })
  project.sql('b2', {
    down: 'a1',
    message: 'drop feelings',
    up: 'DROP TABLE feelings;',
    downSql: 'CREATE TABLE feelings (id int, m mood, p positive, history mood[], at timestamptz);',
  })
  assert.equal((await project.cli(['upgrade', 'a1'])).code, 0)
  await withClient(database.spec, (client) =>
    client.query(
      "INSERT INTO feelings VALUES (1, 'glad', 7, '{calm,glad}', '2026-01-02T03:04:05Z'), (2, NULL, NULL, NULL, NULL)",
    ),
  )
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  const [copy] = JSON.parse((await project.cli(['--json', 'backups', 'saved'])).stdout).copies
  const [schema, table] = copy.name.split('.')
  const columns = await withClient(database.spec, (client) =>
    client.query(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, table],
    ),
  )
  assert.deepEqual(
    columns.rows.map((row) => `${row.column_name} ${row.data_type}`),
    ['id integer', 'm text', 'p text', 'history text', 'at timestamp with time zone'],
  )
  const kept = await withClient(database.spec, (client) =>
    client.query(`SELECT m, p, history FROM "${schema}"."${table}" WHERE id = 1`),
  )
  assert.deepEqual(kept.rows[0], { m: 'glad', p: '7', history: '{calm,glad}' })

  // The type and the domain go with the downgrade that made them: the copy holds on to neither.
  const down = await project.cli(['downgrade', 'base'])
  assert.equal(down.code, 0, down.stderr)
  const left = await withClient(database.spec, (client) =>
    client.query("SELECT count(*)::int AS n FROM pg_type WHERE typname IN ('mood', 'positive')"),
  )
  assert.equal(left.rows[0].n, 0)
  // And the values go back with a cast.
  assert.equal((await project.cli(['upgrade', 'a1'])).code, 0)
  await withClient(database.spec, (client) =>
    client.query(
      `INSERT INTO feelings SELECT id, m::mood, p::positive, history::mood[], at FROM "${schema}"."${table}"`,
    ),
  )
})
