import assert from 'node:assert/strict'
import { test } from 'node:test'
import { freeDatabaseNames } from '../../src/db/free-database-names.js'
import { createTestDatabase, withClient } from '../helpers/database.js'

test("names for a restore's copies skip those taken (two restores in one second) and keep the time when the database's name is long", async (t) => {
  const db = await createTestDatabase(t)
  await withClient(db.spec, async (client) => {
    const stamp = '20261201_012540'
    const first = await freeDatabaseNames(client, db.name, ['_restore_', '_pre_restore_'], stamp)
    assert.deepEqual(first, [`${db.name}_restore_${stamp}`, `${db.name}_pre_restore_${stamp}`])
    // Only the set-aside name of the first restore is still there: both move on together.
    await client.query(`CREATE DATABASE "${first[1]}"`)
    try {
      assert.deepEqual(await freeDatabaseNames(client, db.name, ['_restore_', '_pre_restore_'], stamp), [
        `${db.name}_restore_${stamp}_2`,
        `${db.name}_pre_restore_${stamp}_2`,
      ])
    } finally {
      await client.query(`DROP DATABASE "${first[1]}"`)
    }
    const long = 'a'.repeat(60)
    const [kept] = await freeDatabaseNames(client, long, ['_pre_restore_'], stamp)
    assert.equal(kept, `${'a'.repeat(63 - `_pre_restore_${stamp}`.length)}_pre_restore_${stamp}`)
    assert.equal(kept!.length, 63)
  })
})
