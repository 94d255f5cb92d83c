import assert from 'node:assert/strict'
import { test } from 'node:test'
import { holdingData } from '../../src/db/holds-data.js'
import { createTestDatabase, withClient } from '../helpers/database.js'

test('the data-loss probe: rows or non-null values hold data, missing tables and empty columns do not; a probe past its time limit counts as holding data', async (t) => {
  const database = await createTestDatabase(t, 16)
  await withClient(database.spec, async (client) => {
    await client.query('CREATE TABLE filled (id int, note text, never text)')
    await client.query("INSERT INTO filled SELECT g, 'n', NULL FROM generate_series(1, 300000) g")
    await client.query('CREATE TABLE empty (id int)')
    const items = [
      { table: 'filled' },
      { table: 'filled', column: 'note' },
      { table: 'filled', column: 'never' },
      { table: 'empty' },
      { table: 'missing' },
      { table: 'filled', column: 'missing' },
    ]
    assert.deepEqual(await holdingData(client, items), [
      { table: 'filled' },
      { table: 'filled', column: 'note' },
    ])
    // Reading 300,000 rows for a column that is NULL everywhere takes longer than 1 ms:
    // not known to be empty, so taken to hold data (a backup too many, never one too few).
    assert.deepEqual(await holdingData(client, [{ table: 'filled', column: 'never' }], 1), [
      { table: 'filled', column: 'never' },
    ])
  })
})
