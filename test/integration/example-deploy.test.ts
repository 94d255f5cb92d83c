import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { seed } from '../../examples/local-assistant/seed.mjs'
import { toClientConfig } from '../../src/db/connect.js'
import { createTestDatabase, dropLeftovers, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const example = resolve(import.meta.dirname, '..', '..', 'examples', 'local-assistant')

test('the example deployment: release 2 in two phases, then all the way back to release 1 with every row where it was', async (t) => {
  const database = await createTestDatabase(t, 16)
  dropLeftovers(t, database, 16)
  const project = testProject(t, database, {
    migrations: { directories: [join(example, 'migrations', 'versions')] },
  })
  assert.equal((await project.cli(['upgrade', '3f2a9c1e0a02'])).code, 0)
  const seeded = await seed(toClientConfig(database.spec, false), { users: 2000 })
  assert.deepEqual(seeded, { users: 2020, duplicates: 20, sessions: 6000 })
  const fingerprint = () =>
    withClient(database.spec, async (client) => {
      const { rows } = await client.query(
        `SELECT (SELECT md5(string_agg(id || ':' || email || ':' || coalesce(name, '-'), ',' ORDER BY id)) FROM users) AS users,
                (SELECT md5(string_agg(id || ':' || user_id || ':' || token, ',' ORDER BY id)) FROM user_sessions) AS sessions`,
      )
      return rows[0]
    })
  const before = await fingerprint()

  const expand = await project.cli(['deploy', '--yes'])
  assert.equal(expand.code, 0, expand.stdout + expand.stderr)
  assert.match(expand.stdout, /✓ deployed 6 migrations to .*: now at 3f2a9c1e0a08 \(phase expand/)
  assert.match(
    expand.stdout,
    /users: 20 duplicate rows moved to users_strata_dups; unique constraint uq_users_email added/,
  )
  const contract = await project.cli(['deploy', '--phase', 'contract', '--yes'])
  assert.equal(contract.code, 0, contract.stdout + contract.stderr)
  assert.match(contract.stdout, /now at 3f2a9c1e0a09 \(phase contract/)
  const merged = await withClient(database.spec, async (client) => {
    const { rows } = await client.query(
      `SELECT (SELECT count(*)::int FROM users) AS users,
              (SELECT count(*)::int FROM user_sessions) AS sessions,
              (SELECT count(*)::int FROM users WHERE display_name IS NULL) AS unnamed,
              (SELECT count(*)::int FROM users WHERE preferences IS NULL) AS no_preferences`,
    )
    return rows[0]
  })
  // 5% of the seeded users have no name; the duplicates were merged, no session was lost.
  assert.deepEqual(merged, { users: 2000, sessions: 6000, unnamed: 100, no_preferences: 0 })

  // Release 2's columns hold data the downgrade destroys; withdrawing the release accepts
  // losing it (--no-backup). The deploy tests cover keeping it (a backup, or copies on
  // the server when no pg_dump here can back up PostgreSQL 16).
  const back = await project.cli([
    'rollback',
    '--to',
    '3f2a9c1e0a02',
    '--yes',
    '--no-backup',
    '--reason',
    'release 2 withdrawn',
  ])
  assert.equal(back.code, 0, back.stdout + back.stderr)
  assert.match(back.stdout, /✓ rolled back by downgrade/)
  assert.deepEqual(await fingerprint(), before, 'users, names, duplicates and sessions are as they were')
})
