import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

test('backups saved lists the copies kept in strata_saved; --prune drops those past retention only with --yes', async (t) => {
  // PostgreSQL 16, and only pg_dump 15 on this machine: what a step destroys is copied on the server.
  const database = await createTestDatabase(t, 16)
  const project = testProject(t, database)
  project.sql('a1', { message: 'audit', up: 'CREATE TABLE audit (id int);', downSql: 'DROP TABLE audit;' })
  project.sql('b2', {
    down: 'a1',
    message: 'drop audit',
    up: 'DROP TABLE audit;',
    downSql: 'CREATE TABLE audit (id int);',
  })
  assert.equal((await project.cli(['upgrade', 'a1'])).code, 0)
  await withClient(database.spec, (client) => client.query('INSERT INTO audit VALUES (1), (2)'))
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)

  const listed = await project.cli(['--json', 'backups', 'saved'])
  assert.equal(listed.code, 0, listed.stderr)
  const [copy] = JSON.parse(listed.stdout).copies
  assert.match(copy.name, /^strata_saved\.audit_\d{8}_\d{6}$/)
  assert.equal(copy.of, 'audit')
  assert.match(copy.why, /destroyed by an upgrade \(table audit \(b2\)\)/)
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
  assert.match(fresh.stdout, /no copy is older than 30 days \(1 copy in strata_saved\)/)
  // Forty days old by its comment: shown, then dropped with --yes, the schema with it.
  const [schema, table] = copy.name.split('.')
  await withClient(database.spec, (client) =>
    client.query(
      `COMMENT ON TABLE "${schema}"."${table}" IS 'audit at ${new Date(Date.now() - 40 * 86_400_000).toISOString()}: destroyed by an upgrade (table audit (b2))'`,
    ),
  )
  const shown = await project.cli(['backups', 'saved', '--prune'])
  assert.match(shown.stdout, /1 copy older than 30 days; drop it with --yes/)
  assert.equal(await countCopies(database.spec), 1)
  const dropped = await project.cli(['backups', 'saved', '--prune', '--yes'])
  assert.equal(dropped.code, 0, dropped.stderr)
  assert.match(dropped.stdout, /dropped 1 copy/)
  assert.equal(await countCopies(database.spec), 0)
  assert.equal((await project.cli(['backups', 'saved'])).stdout, 'no copies in strata_saved\n')
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
