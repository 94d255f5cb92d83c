// `import ... from 'strata'` in a TypeScript migration resolves to the running Strata.
// The bundled executable (dist/strata.cjs) carries its own copy of the library, and a
// migration that goes through the module loader gets dist/index.js: values made by
// either, such as sql('now()') fragments, must mean the same to the runner.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

test("sql() fragments imported from 'strata' are SQL, whichever way the migration is loaded", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts('_columns', "export const stamped = 'stamped_at'\n")
  // Imports only strata: evaluated from its cached compilation, with the runner's own modules.
  project.ts(
    'aaa111',
    `import { sql } from 'strata'
export const revision = 'aaa111'
export const downRevision = null
export async function upgrade(op) {
  await op.createTable('events', [{ name: 'id', type: 'bigint', primaryKey: true }])
  await op.addColumn('events', { name: 'created_at', type: 'timestamptz', default: sql('now()') })
}
export async function downgrade(op) {
  await op.dropTable('events')
}
`,
  )
  // Imports a helper too: goes through the module loader and gets the library's modules.
  project.ts(
    'bbb222',
    `import { sql } from 'strata'
import { stamped } from './_columns_m'
export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.addColumn('events', { name: stamped, type: 'timestamptz', default: sql('now()') })
}
export async function downgrade(op) {
  await op.dropColumn('events', stamped)
}
`,
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 0, result.stderr)
  const defaults = await db.query(
    "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'events' AND column_name <> 'id' ORDER BY 1",
  )
  assert.deepEqual(
    defaults.rows.map((row) => [row.column_name, row.column_default]),
    [
      ['created_at', 'now()'],
      ['stamped_at', 'now()'],
    ],
  )
})
