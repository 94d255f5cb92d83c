import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const fileOf = (dir: string, revision: string) =>
  join(dir, readdirSync(dir).find((name) => name.startsWith(revision))!)

test('templates from the guide generate migrations that run and reverse', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: 'CREATE TABLE table_name (id int PRIMARY KEY, column_name text); CREATE TABLE parent_table (id int PRIMARY KEY); CREATE TABLE child_table (id int, parent_id int);',
    downSql: 'DROP TABLE table_name; DROP TABLE child_table; DROP TABLE parent_table;',
  })
  for (const [template, id] of [
    ['add-index', 'bbb222'],
    ['add-foreign-key', 'ccc333'],
  ] as const) {
    const result = await project.cli(['revision', '-m', template, '--template', template, '--rev-id', id])
    assert.equal(result.code, 0, result.stderr)
  }
  const sqlTemplate = await project.cli([
    'revision',
    '-m',
    'add column',
    '--template',
    'add-column',
    '--sql',
    '--rev-id',
    'ddd444',
  ])
  assert.equal(sqlTemplate.code, 0, sqlTemplate.stderr)
  // The add-column template targets column_name, which exists already here: rename it in the file.
  const addColumn = fileOf(project.versions, 'ddd444')
  writeFileSync(addColumn, readFileSync(addColumn, 'utf8').replaceAll('column_name', 'new_column'))
  assert.match(readFileSync(fileOf(project.versions, 'bbb222'), 'utf8'), /export const transactional = false/)
  assert.match(
    readFileSync(fileOf(project.versions, 'ccc333'), 'utf8'),
    /op\.addForeignKeySafely\('fk_child_parent_id'/,
  )
  // Each template is the safe form of its change: the check finds nothing in it but the
  // add-column downgrade's dropped column, which a downgrade of it cannot avoid.
  const checked = await project.cli(['check', '--offline', '--format', 'json', '-r', 'aaa111:head'])
  const rules = JSON.parse(checked.stdout).migrations.flatMap((m: { findings: { rule: string }[] }) =>
    m.findings.map((finding) => finding.rule),
  )
  assert.deepEqual([...new Set(rules)], ['downgrade-destroys-data'], checked.stdout)

  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  const index = await db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_table_column'::regclass")
  assert.equal(index.indisvalid, true)
  const fk = await db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'fk_child_parent_id'")
  assert.equal(fk.convalidated, true)
  assert.equal((await project.cli(['downgrade', 'aaa111'])).code, 0)
  assert.equal((await db.one("SELECT to_regclass('ix_table_column') AS t")).t, null)

  const unknown = await project.cli(['revision', '-m', 'x', '--template', 'add-colum'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown template "add-colum"\. Did you mean "add-column"\?/)
})

test('--head base starts a branch, --depends-on records a dependency, --splice branches from a non-head', async (t) => {
  const project = testProject(t)
  assert.equal(
    (await project.cli(['revision', '-m', 'core', '--rev-id', 'aaa111', '--branch-label', 'core'])).code,
    0,
  )
  assert.equal((await project.cli(['revision', '-m', 'core two', '--rev-id', 'bbb222'])).code, 0)
  const billing = await project.cli([
    'revision',
    '-m',
    'billing',
    '--head',
    'base',
    '--branch-label',
    'billing',
    '--rev-id',
    'ddd444',
    '--depends-on',
    'core@head',
  ])
  assert.equal(billing.code, 0, billing.stderr)
  const text = readFileSync(fileOf(project.versions, 'ddd444'), 'utf8')
  assert.match(text, /export const downRevision: string \| string\[\] \| null = null/)
  assert.match(text, /export const branchLabels = \['billing'\]/)
  assert.match(text, /export const dependsOn = \['bbb222'\]/)
  assert.equal((await project.cli(['heads'])).stdout, 'bbb222 (core) (head)\nddd444 (billing) (head)\n')

  const twoHeads = await project.cli(['revision', '-m', 'which parent?'])
  assert.equal(twoHeads.code, 2)
  assert.match(twoHeads.stderr, /multiple head revisions are present/)
  const notHead = await project.cli(['revision', '-m', 'side', '--head', 'aaa111'])
  assert.equal(notHead.code, 2)
  assert.match(notHead.stderr, /aaa111 is not a head: a new revision on it starts a new branch/)
  assert.equal(
    (await project.cli(['revision', '-m', 'side', '--head', 'aaa111', '--splice', '--rev-id', 'ccc333']))
      .code,
    0,
  )
  const branches = await project.cli(['branches'])
  assert.match(branches.stdout, /^aaa111 \(core\) \(branchpoint\)|^aaa111 \(branchpoint\)/)
  assert.match(branches.stdout, /-> ccc333 \(head\), side/)
})

test('migrations can live in several version locations', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db, {
    migrations: { directories: ['migrations/versions', 'plugins/versions'] },
  })
  const plugins = join(project.dir, 'plugins', 'versions')
  mkdirSync(plugins, { recursive: true })
  project.sql('aaa111', { up: 'CREATE TABLE core_t (id int);' })
  writeFileSync(
    join(plugins, 'bbb222_plugin.sql'),
    '-- revision: bbb222\n-- down_revision: aaa111\n-- migrate:up\nCREATE TABLE plugin_t (id int);\n',
  )
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.equal((await project.cli(['current'])).stdout, 'bbb222 (head)\n')
  assert.notEqual((await db.one("SELECT to_regclass('plugin_t') AS t")).t, null)
})

test('a message with quotes, a backslash, `*/`, `${...}` or a newline gives a file that loads and shows it', async (t) => {
  const project = testProject(t)
  const message = 'add "vip" flag */ and \\ backslash ${x}\nsecond line'
  for (const [id, sql] of [
    ['aaa111', false],
    ['bbb222', true],
  ] as const) {
    const created = await project.cli(['revision', '-m', message, '--rev-id', id, ...(sql ? ['--sql'] : [])])
    assert.equal(created.code, 0, created.stderr)
  }
  const history = await project.cli(['history'])
  assert.equal(history.code, 0, history.stderr)
  const shown = 'add "vip" flag */ and \\ backslash ${x} second line'
  assert.ok(history.stdout.includes(`aaa111, ${shown}`), history.stdout)
  assert.ok(history.stdout.includes(`bbb222 (head), ${shown}`), history.stdout)
  assert.match(readFileSync(fileOf(project.versions, 'bbb222'), 'utf8'), /^-- message: .*second line$/m)
  // Accented letters keep their letter in the file name, which stays ASCII.
  const accented = await project.cli(['revision', '-m', 'Ünïcode café: übersicht', '--rev-id', 'ccc333'])
  assert.equal(accented.code, 0, accented.stderr)
  assert.ok(
    readdirSync(project.versions).includes('ccc333_unicode_cafe_ubersicht.ts'),
    readdirSync(project.versions).join(' '),
  )
})

test("edit opens a revision's file in VISUAL or EDITOR, as Alembic's edit does, and says what to set when neither is", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE users (id int PRIMARY KEY);' })
  project.sql('bbb222', { up: 'CREATE TABLE posts (id int PRIMARY KEY);', down: 'aaa111' })
  // An editor command with an argument, as "code --wait": run by the shell, the file appended.
  const log = join(project.dir, 'editor.log')
  const editor = join(project.dir, 'fake-editor.sh')
  writeFileSync(editor, `#!/bin/sh\necho "$@" >> '${log}'\n`, { mode: 0o755 })
  const opened = () => readFileSync(log, 'utf8').trim().split('\n').at(-1)

  const head = await project.cli(['edit'], { EDITOR: `${editor} --wait`, VISUAL: '' })
  assert.equal(head.code, 0, head.stderr)
  assert.equal(opened(), `--wait ${fileOf(project.versions, 'bbb222')}`)

  const byPrefix = await project.cli(['edit', 'aaa'], { VISUAL: editor, EDITOR: 'vi' })
  assert.equal(byPrefix.code, 0, byPrefix.stderr)
  assert.equal(opened(), fileOf(project.versions, 'aaa111'), 'VISUAL wins over EDITOR')

  assert.equal((await project.cli(['upgrade', 'aaa111'])).code, 0)
  const current = await project.cli(['edit', 'current'], { EDITOR: editor, VISUAL: '' })
  assert.equal(current.code, 0, current.stderr)
  assert.equal(opened(), fileOf(project.versions, 'aaa111'), 'current is read from the database')

  const none = await project.cli(['edit', 'bbb222'], { EDITOR: '', VISUAL: '' })
  assert.equal(none.code, 2)
  assert.match(none.stderr, /^error: no editor chosen: neither VISUAL nor EDITOR is set\n {2}at: .*bbb222_/)
  assert.match(none.stderr, /hint: set one \(export EDITOR=vim/)

  const missing = await project.cli(['edit'], { EDITOR: 'no-such-editor-here', VISUAL: '' })
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /error: the editor no-such-editor-here \(EDITOR\) was not found/)

  const unknown = await project.cli(['edit', 'zzz999'], { EDITOR: editor, VISUAL: '' })
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no revision or branch label "zzz999"/)
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 3, 'the editor ran only when asked to')
})
