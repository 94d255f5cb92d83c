import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { dataLostBySteps } from '../../src/analysis/data-loss.js'
import { fileSource } from '../../src/analysis/migration-source.js'
import { resolveConfig } from '../../src/config/load-config.js'
import { loadMigrations } from '../../src/graph/load-migrations.js'

// This file runs in a process of its own, and nothing here awaits the parser's
// WebAssembly first: the entry points must (two tenants' downgrades at once once found
// it "not initialized").
test('the analysis entry points load the parser themselves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-parser-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const versions = join(dir, 'migrations', 'versions')
  mkdirSync(versions, { recursive: true })
  writeFileSync(
    join(versions, 'a1_m.sql'),
    '-- revision: a1\n-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n',
  )
  const config = resolveConfig({}, undefined, dir)
  const migrations = await loadMigrations(config)
  const [lost, source] = await Promise.all([
    dataLostBySteps(migrations, [migrations.graph.get('a1')], 'down', config),
    fileSource('x.sql', 'DROP TABLE u;', config),
  ])
  assert.deepEqual(lost.losses, [{ revision: 'a1', table: 't' }])
  assert.equal(source.up.length, 1)
})
