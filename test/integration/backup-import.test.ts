import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { listClientPrograms } from '../../src/backup/client-programs.js'
import { createTestDatabase, dropLeftovers, tableChecksums, withClient } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { tempDir } from '../helpers/temp-dir.js'

/** A pg_dump that fits the PostgreSQL 15 test server (Debian's, on this machine). */
function pgDump15(): string {
  const program = listClientPrograms('pg_dump').find((candidate) => candidate.major === 15)
  assert.ok(program, 'pg_dump 15 is installed (Debian postgresql-client-15)')
  return program.path
}

test("the guide's backup_database.sh archives are imported after a full read, then restored like Strata's own; damaged ones are refused", async (t) => {
  const database = await createTestDatabase(t, 15)
  dropLeftovers(t, database)
  const project = testProject(t, database)
  project.sql('a1', {
    message: 'users and orders',
    up: 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE TABLE orders (id bigint PRIMARY KEY, note text);',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await withClient(database.spec, async (client) => {
    await client.query(
      "INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'bob@example.com'), (3, 'cy@example.com')",
    )
    // A value with a newline and a tab: one COPY line each all the same.
    await client.query("INSERT INTO orders VALUES (1, E'two\\nlines'), (2, E'a\\tb')")
  })
  const before = await tableChecksums(database.spec)
  const backups = join(project.dir, 'data', 'backups')
  mkdirSync(backups, { recursive: true })
  // The guide's script: pg_dump | gzip > "$BACKUP_DIR/${DB_NAME}_${TIMESTAMP}.sql.gz"
  const name = `${database.name}_20251126_100001.sql.gz`
  execFileSync('sh', ['-c', `"$PG_DUMP" "$DATABASE_URL" | gzip > "$OUT"`], {
    env: { ...process.env, PG_DUMP: pgDump15(), DATABASE_URL: database.url, OUT: join(backups, name) },
  })

  const listed = await project.cli(['backups', 'list'])
  assert.match(listed.stderr, new RegExp(`strata backups import ${name}`))
  // By path or by its name in the backup directory, as `backups list` shows it.
  for (const reference of [join(backups, name), name]) {
    const notYet = await project.cli(['restore', reference])
    assert.equal(notYet.code, 2)
    assert.match(notYet.stderr, /has no Strata manifest beside it/)
    assert.match(notYet.stderr, /hint: import it first .*strata backups import/)
    assert.doesNotMatch(notYet.stdout, /Starting database restore/, 'refused before anything runs')
  }

  const imported = await project.cli(['backups', 'import', name])
  assert.equal(imported.code, 0, imported.stderr)
  const id = name.replace(/\.sql\.gz$/, '')
  assert.match(
    imported.stdout,
    new RegExp(
      `imported ${name} as backup ${id}: plain \\(gzip\\) of database ${database.name}, dumped from PostgreSQL 15\\.\\S+, 4 tables with 7 rows, at a1`,
    ),
  )
  const manifest = JSON.parse(readFileSync(join(backups, `${id}.manifest.json`), 'utf8'))
  assert.deepEqual(manifest.rowCounts, {
    'public.alembic_version': 1,
    'public.orders': 2,
    'public.strata_history': 1,
    'public.users': 3,
  })
  assert.deepEqual(manifest.revisions, ['a1'])
  assert.equal(manifest.verified.method, 'read')
  assert.equal(statSync(join(backups, name)).mode & 0o777, 0o600)
  const again = await project.cli(['backups', 'import', name])
  assert.equal(again.code, 2)
  assert.match(again.stderr, new RegExp(`${name} is already in the catalog, as backup ${id}`))

  // Restored as Strata restores its own: beside the live database, checked, swapped in.
  await withClient(database.spec, (client) =>
    client.query('DELETE FROM orders; DELETE FROM users WHERE id > 1'),
  )
  const restored = await project.cli(['restore', id])
  assert.equal(restored.code, 0, restored.stderr)
  assert.deepEqual(await tableChecksums(database.spec), before)

  // A copy cut in half, and a dump cut before its end: refused, nothing written.
  const cut = join(backups, `${database.name}_20251127_100001.sql.gz`)
  writeFileSync(cut, readFileSync(join(backups, name)))
  truncateSync(cut, Math.floor(statSync(cut).size / 2))
  const damaged = await project.cli(['backups', 'import', cut])
  assert.equal(damaged.code, 2)
  assert.match(damaged.stderr, /cannot be imported: the gzip stream is damaged .*Nothing was written/)
  assert.equal(existsSync(cut.replace(/\.sql\.gz$/, '.manifest.json')), false)
  // --all: every archive of the directory without a manifest; the damaged one does not stop the rest.
  writeFileSync(join(backups, `${database.name}_20251128_100001.sql.gz`), readFileSync(join(backups, name)))
  const all = await project.cli(['backups', 'import', '--all'])
  assert.equal(all.code, 2, all.stderr)
  assert.match(all.stdout, new RegExp(`✓ imported ${database.name}_20251128_100001\\.sql\\.gz as backup`))
  assert.match(all.stdout, /✗ .*_20251127_100001\.sql\.gz cannot be imported: the gzip stream is damaged/)
  assert.match(all.stdout, /1 archive imported, 1 refused$/m)
  const plain = join(tempDir(t), 'short.sql')
  const text = execFileSync(pgDump15(), [database.url], { encoding: 'utf8' })
  writeFileSync(plain, text.slice(0, text.indexOf('-- PostgreSQL database dump complete')))
  const short = await project.cli(['backups', 'import', plain, '--database', database.name])
  assert.equal(short.code, 2)
  assert.match(short.stderr, /the dump is cut short: it does not end with pg_dump's "dump complete" line/)
  assert.equal(existsSync(join(backups, 'short.sql')), false)
  // pg_dump --data-only: rows without their tables, recorded as such.
  const rowsOnly = join(tempDir(t), 'rows.sql')
  writeFileSync(rowsOnly, execFileSync(pgDump15(), ['--data-only', database.url], { encoding: 'utf8' }))
  const rowsImported = await project.cli([
    '--json',
    'backups',
    'import',
    rowsOnly,
    '--database',
    database.name,
  ])
  assert.equal(rowsImported.code, 0, rowsImported.stderr)
  const rowsManifest = JSON.parse(rowsImported.stdout).imported[0].manifest
  assert.deepEqual([rowsManifest.options.dataOnly, rowsManifest.options.schemaOnly], [true, false])
  assert.equal(manifest.options.dataOnly, false)
  // pg_dump --create: psql would switch to the live database and restore into it.
  const created = join(tempDir(t), 'created.sql')
  writeFileSync(created, execFileSync(pgDump15(), ['--create', database.url], { encoding: 'utf8' }))
  const switching = await project.cli(['backups', 'import', created])
  assert.equal(switching.code, 2)
  assert.match(
    switching.stderr,
    /it creates or switches databases \(CREATE DATABASE .*pg_dump --create or pg_dumpall\)/,
  )
  assert.match(switching.stderr, /hint: import what pg_dump wrote for one database without --create/)
})

test('a custom-format dump outside the backup directory is copied in; the database name comes from the archive', async (t) => {
  const database = await createTestDatabase(t, 15)
  dropLeftovers(t, database)
  const project = testProject(t, database)
  project.sql('a1', { message: 'notes', up: 'CREATE TABLE "Notes" (id int PRIMARY KEY, body text);' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await withClient(database.spec, (client) =>
    client.query(`INSERT INTO "Notes" SELECT g, 'n' || g FROM generate_series(1, 250) g`),
  )
  const outside = join(tempDir(t), 'nightly.dump')
  execFileSync('sh', ['-c', `"$PG_DUMP" -Fc -f "$OUT" "$DATABASE_URL"`], {
    env: { ...process.env, PG_DUMP: pgDump15(), DATABASE_URL: database.url, OUT: outside },
  })
  const imported = await project.cli(['--json', 'backups', 'import', outside])
  assert.equal(imported.code, 0, imported.stderr)
  const {
    imported: [{ manifest, copiedFrom }],
  } = JSON.parse(imported.stdout)
  assert.equal(copiedFrom, outside)
  assert.equal(manifest.id, 'nightly')
  assert.equal(manifest.format, 'custom')
  assert.equal(manifest.database, database.name)
  assert.deepEqual(manifest.rowCounts, {
    'public.Notes': 250,
    'public.alembic_version': 1,
    'public.strata_history': 1,
  })
  const copy = join(project.dir, 'data', 'backups', 'nightly.dump')
  assert.equal(statSync(copy).mode & 0o777, 0o600)
  assert.ok(existsSync(outside), 'the original stays where it was')
  const verified = await project.cli(['backups', 'verify', 'nightly'])
  assert.equal(verified.code, 0, verified.stdout + verified.stderr)
})
