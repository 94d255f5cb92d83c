import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const run = promisify(execFile)
const ENTRY = join(import.meta.dirname, '..', '..', 'dist', 'index.js')

// An application that migrates on start, as README "Using Strata from code" shows: the
// package's entry (what `import ... from 'strata'` loads), not the CLI.
test('the library migrates from an application: loadConfig, parseConnectionString, upgrade', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('a1', { up: 'CREATE TABLE booted (id int);', downSql: 'DROP TABLE booted;' })
  const script = `
    import { loadConfig, parseConnectionString, upgrade } from ${JSON.stringify(ENTRY)}
    const config = await loadConfig()
    const spec = parseConnectionString(process.env.DATABASE_URL)
    const result = await upgrade({ config, spec })
    const again = await upgrade({ config, spec })
    console.log(JSON.stringify({ applied: result.steps.map((s) => s.revision), now: result.rowsAfter, again: again.steps.length, note: again.note }))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project.dir,
    env: { ...process.env, DATABASE_URL: db.url },
  })
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!)
  assert.deepEqual(out.applied, ['a1'])
  assert.deepEqual(out.now, ['a1'])
  assert.equal(out.again, 0, 'a second start has nothing to do')
  assert.equal((await db.one("SELECT to_regclass('booted')::text AS t")).t, 'booted')
})

// A release pipeline in code: the safety analysis as data, then a verified backup
// before migrating, through the package's entry.
test('the library checks migrations and takes, lists and verifies a backup', async (t) => {
  const db = await createTestDatabase(t, 15)
  const project = testProject(t, db)
  project.sql('a1', { up: 'CREATE TABLE users (id int, email text);', downSql: 'DROP TABLE users;' })
  project.sql('a2', { down: 'a1', up: 'ALTER TABLE users DROP COLUMN email;' })
  await db.query('CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2), (3)')
  const script = `
    import { checkMigrations, createBackup, listBackups, loadConfig, parseConnectionString, verifyBackup } from ${JSON.stringify(ENTRY)}
    const config = await loadConfig()
    const report = await checkMigrations({ config, range: 'base:head' })
    const spec = parseConnectionString(process.env.DATABASE_URL)
    const backup = await createBackup({ config, spec })
    const verified = await verifyBackup(backup.entry, { pgBinDir: config.pgBinDir })
    console.log(JSON.stringify({
      classes: report.migrations.map((m) => [m.revision, m.classification.class]),
      rules: report.migrations.flatMap((m) => m.findings.map((f) => f.rule)),
      errors: report.counts.errors,
      listed: listBackups(config.backup.directory).map((e) => e.manifest.id),
      id: backup.manifest.id,
      rows: backup.manifest.rowCounts,
      verified: verified.ok,
    }))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project.dir,
    env: { ...process.env, DATABASE_URL: db.url },
  })
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!)
  assert.deepEqual(out.classes, [
    ['a1', 'additive'],
    ['a2', 'breaking'],
  ])
  assert.ok(out.rules.includes('drop-column'), out.rules)
  assert.ok(out.errors > 0)
  assert.deepEqual(out.listed, [out.id])
  assert.equal(out.verified, true)
  assert.equal(out.rows['public.kept'], 3)
})
