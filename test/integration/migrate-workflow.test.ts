import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

test("the guide's development workflow: revision, upgrade, current, history, downgrade -1, upgrade", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)

  const created = await project.cli(['revision', '-m', 'create users', '--rev-id', 'previous123'])
  assert.equal(created.code, 0, created.stderr)
  assert.match(created.stdout, /Generating .*previous123_create_users\.ts \.\.\. done/)
  writeFileSync(
    join(project.versions, 'previous123_create_users.ts'),
    `export const revision = 'previous123'
export const downRevision = null
export const message = 'create users'
export async function upgrade(op) { await op.execute('CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)') }
export async function downgrade(op) { await op.execute('DROP TABLE users') }
`,
  )
  // --version-path must be a migrations directory: a file written elsewhere is never loaded.
  const elsewhere = await project.cli(['revision', '-m', 'lost', '--version-path', 'elsewhere'])
  assert.equal(elsewhere.code, 2)
  assert.equal(
    elsewhere.stderr,
    'error: --version-path elsewhere is not a migrations directory of this project: a revision written there would not be loaded\n  hint: use migrations/versions, or add it to migrations.directories in the config\n',
  )
  assert.equal(existsSync(join(project.dir, 'elsewhere')), false)
  const second = await project.cli([
    'revision',
    '-m',
    'add user sessions',
    '--rev-id',
    'abc123def456',
    '--version-path',
    'migrations/versions/',
  ])
  assert.equal(second.code, 0, second.stderr)
  const generated = readFileSync(join(project.versions, 'abc123def456_add_user_sessions.ts'), 'utf8')
  assert.match(generated, /export const downRevision: string \| string\[\] \| null = 'previous123'/)
  writeFileSync(
    join(project.versions, 'abc123def456_add_user_sessions.ts'),
    generated
      .replace(
        '  // await op.execute(`...`)\n}\n\nexport async function downgrade',
        "  await op.execute('CREATE TABLE user_sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL, token text NOT NULL)')\n  await op.execute('CREATE INDEX ix_user_sessions_token ON user_sessions (token)')\n}\n\nexport async function downgrade",
      )
      .replace('  // await op.execute(`...`)\n}\n', "  await op.execute('DROP TABLE user_sessions')\n}\n"),
  )

  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /Running upgrade {2}-> previous123, create users/)
  assert.match(up.stdout, /Running upgrade previous123 -> abc123def456, add user sessions/)
  assert.equal((await project.cli(['current'])).stdout, 'abc123def456 (head)\n')

  const history = await project.cli(['history', '--verbose'])
  assert.match(
    history.stdout,
    /^Rev: abc123def456 \(head\)\nParent: previous123\nPath: migrations\/versions\/abc123def456_add_user_sessions\.ts/,
  )
  assert.equal((await project.cli(['heads'])).stdout, 'abc123def456 (head)\n')

  const down = await project.cli(['downgrade', '-1'])
  assert.equal(down.code, 0, down.stderr)
  assert.equal((await project.cli(['current'])).stdout, 'previous123\n')
  const tables = await db.one("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'user_sessions'")
  assert.equal(tables.n, 0)

  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal(
    (await project.cli(['history', '-i'])).stdout,
    'previous123 -> abc123def456 (head) (current), add user sessions\n<base> -> previous123, create users\n',
  )

  const rows = await db.query('SELECT version_num FROM alembic_version')
  assert.deepEqual(rows.rows, [{ version_num: 'abc123def456' }])
  const recorded = await db.query(
    'SELECT revision, direction, outcome, db_user, client_host, tool_version, checksum FROM strata_history ORDER BY id',
  )
  assert.deepEqual(
    recorded.rows.map((row) => `${row.revision}:${row.direction}:${row.outcome}`),
    [
      'previous123:up:success',
      'abc123def456:up:success',
      'abc123def456:down:success',
      'abc123def456:up:success',
    ],
  )
  const [first] = recorded.rows
  assert.equal(first?.db_user, 'postgres')
  assert.equal(first?.client_host, '127.0.0.1')
  assert.match(first?.checksum, /^[0-9a-f]{64}$/)

  const json = JSON.parse((await project.cli(['current', '--json'])).stdout)
  assert.equal(json.atHead, true)
  assert.deepEqual(json.rows, ['abc123def456'])
})

test('version conflicts: two heads are refused by upgrade head, listed by branches, joined by merge', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE base_t (id int);', downSql: 'DROP TABLE base_t;' })
  project.sql('bbb222', {
    down: 'aaa111',
    up: 'CREATE TABLE left_t (id int);',
    downSql: 'DROP TABLE left_t;',
  })
  project.sql('ccc333', {
    down: 'aaa111',
    up: 'CREATE TABLE right_t (id int);',
    downSql: 'DROP TABLE right_t;',
  })

  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /error: multiple head revisions are present: bbb222 \(migration bbb222\), ccc333 \(migration ccc333\)/,
  )
  assert.match(refused.stderr, /hint: merge them with `strata merge -m "merge heads" bbb222 ccc333`/)
  const untouched = await db.one("SELECT to_regclass('alembic_version') AS t")
  assert.equal(untouched.t, null, 'nothing was written')

  const branches = await project.cli(['branches'])
  assert.equal(
    branches.stdout,
    'aaa111 (branchpoint), migration aaa111\n    -> bbb222 (head), migration bbb222\n    -> ccc333 (head), migration ccc333\n',
  )

  const merged = await project.cli([
    'merge',
    '-m',
    'merge branches',
    'bbb222',
    'ccc333',
    '--rev-id',
    'ddd444',
  ])
  assert.equal(merged.code, 0, merged.stderr)
  const mergeFile = readdirSync(project.versions).find((name) => name.startsWith('ddd444'))!
  assert.match(
    readFileSync(join(project.versions, mergeFile), 'utf8'),
    /downRevision: string \| string\[\] \| null = \['bbb222', 'ccc333'\]/,
  )
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [
    { version_num: 'ddd444' },
  ])
  assert.match(
    (await project.cli(['history'])).stdout,
    /^bbb222, ccc333 -> ddd444 \(head\) \(mergepoint\), merge branches\n/,
  )
})

test('upgrade heads applies every branch; downgrading one branch leaves the other', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  project.sql('bbb222', { down: 'aaa111', up: 'CREATE TABLE b (id int);', downSql: 'DROP TABLE b;' })
  project.sql('ccc333', {
    down: 'aaa111',
    up: 'CREATE TABLE c (id int);',
    downSql: 'DROP TABLE c;',
    header: { branch_labels: 'cart' },
  })
  assert.equal((await project.cli(['upgrade', 'heads'])).code, 0)
  assert.equal((await project.cli(['current'])).stdout, 'bbb222 (head)\nccc333 (cart) (head)\n')
  const ambiguous = await project.cli(['downgrade', '-1'])
  assert.equal(ambiguous.code, 2)
  assert.match(ambiguous.stderr, /2 current heads, so a relative move is ambiguous/)
  const oneBranch = await project.cli(['downgrade', 'cart@-1'])
  assert.equal(oneBranch.code, 0, oneBranch.stderr)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version ORDER BY 1')).rows, [
    { version_num: 'bbb222' },
  ])
  assert.equal((await db.one("SELECT to_regclass('c') AS t")).t, null)
})

test("stamp: the guide's failed partial migration recovery (stamp head-1, fix, upgrade)", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  project.sql('bbb222', {
    down: 'aaa111',
    up: 'CREATE TABLE partially_created_table (id int);',
    downSql: 'DROP TABLE partially_created_table;',
  })
  assert.equal((await project.cli(['stamp', 'head'])).code, 0)
  assert.equal((await project.cli(['current'])).stdout, 'bbb222 (head)\n')
  const back = await project.cli(['stamp', 'head-1'])
  assert.equal(back.code, 0, back.stderr)
  assert.match(back.stdout, /stamped: bbb222 -> aaa111 \(no migration ran\)/)
  await db.query('CREATE TABLE a (id int)')
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  assert.equal((await project.cli(['current'])).stdout, 'bbb222 (head)\n')
  const stamps = await db.one("SELECT count(*)::int AS n FROM strata_history WHERE direction = 'stamp'")
  assert.equal(stamps.n, 2)
  // stamp base empties the version table (it once left it as it was), and says so in the log.
  const base = await project.cli(['stamp', 'base'])
  assert.equal(base.code, 0, base.stderr)
  assert.match(base.stdout, /stamped: bbb222 -> base \(no migration ran\)/)
  assert.deepEqual((await db.query('SELECT version_num FROM alembic_version')).rows, [])
  const log = await project.cli(['history', '--log'])
  assert.match(log.stdout, /stamp\s+base\s+success/)
})

test('a migration applied, then stamped below without a downgrade, meets its own changes: the hint says so and how to record it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  assert.equal((await project.cli(['stamp', 'base'])).code, 0)
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 1)
  assert.match(
    again.stderr,
    /hint: aaa111 was applied at [\d-]+ [\d:]+ UTC and never downgraded; a stamp at [\d-]+ [\d:]+ UTC \(to base\) moved the version table below it without undoing it, so what it creates is still here\. If all of aaa111's changes are in place, `strata stamp aaa111` records it/,
  )
  // Still so on a second attempt (its failed run is not taken for a partial commit).
  assert.match(
    (await project.cli(['upgrade', 'head'])).stderr,
    /a stamp at .* moved the version table below it/,
  )
})

test('show, history ranges and the JSON of read commands', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;', downSql: 'SELECT 1;', message: 'first' })
  project.sql('bbb222', { down: 'aaa111', up: 'SELECT 1;', downSql: 'SELECT 1;', message: 'second' })
  project.sql('ccc333', { down: 'bbb222', up: 'SELECT 1;', message: 'third' })
  const show = await project.cli(['show', 'bbb'])
  assert.match(
    show.stdout,
    /^Rev: bbb222\nParent: aaa111\nPath: migrations\/versions\/bbb222_m\.sql\n\n {4}second/,
  )
  assert.match((await project.cli(['show', 'ccc333'])).stdout, /Downgrade: none/)
  // base and current name no migration file: said, not an empty answer.
  const base = await project.cli(['show', 'base'])
  assert.equal(base.code, 2)
  assert.match(base.stderr, /^error: "base" names no revision: it is the state before the first migration\n/)
  assert.match((await project.cli(['show', 'current'])).stderr, /hint: `strata current --verbose`/)
  assert.equal(
    (await project.cli(['history', '-r', 'aaa111:bbb222'])).stdout,
    'aaa111 -> bbb222, second\n<base> -> aaa111, first\n',
  )
  assert.equal((await project.cli(['history', '-r', 'bbb222:'])).stdout.split('\n').length - 1, 2)
  const reversed = await project.cli(['history', '-r', 'ccc333:aaa111'])
  assert.equal(reversed.code, 2)
  assert.equal(
    reversed.stderr,
    'error: -r ccc333:aaa111 selects nothing: ccc333 is not below aaa111\n  hint: -r takes OLDER:NEWER: strata history -r aaa111:ccc333\n',
  )
  // base as the lower end bounds nothing (the README's -r base:head); as the upper, nothing is below it.
  const whole = await project.cli(['history', '-r', 'base:head'])
  assert.equal(whole.code, 0, whole.stderr)
  assert.equal(whole.stdout, (await project.cli(['history'])).stdout)
  assert.equal(
    (await project.cli(['history', '-r', 'base:bbb222'])).stdout,
    'aaa111 -> bbb222, second\n<base> -> aaa111, first\n',
  )
  const belowBase = await project.cli(['history', '-r', 'bbb222:base'])
  assert.equal(belowBase.code, 2)
  assert.equal(
    belowBase.stderr,
    'error: -r bbb222:base selects nothing: base is before the first migration, below every revision\n  hint: -r takes OLDER:NEWER: strata history -r base:bbb222\n',
  )
  const heads = JSON.parse((await project.cli(['heads', '--json'])).stdout)
  assert.equal(heads[0].revision, 'ccc333')
  // current on a database at base is base: the whole history from it.
  assert.equal((await project.cli(['history', '-r', 'current:head'])).stdout, whole.stdout)
  await project.cli(['upgrade', 'bbb222'])
  assert.equal(
    (await project.cli(['history', '-r', 'current:'])).stdout,
    'bbb222 -> ccc333 (head), third\naaa111 -> bbb222 (current), second\n',
  )
  const check = await project.cli(['current', '--check-heads'])
  assert.equal(check.code, 1)
  assert.match(check.stderr, /1 pending: ccc333/)
})

test('history -v -i says when each revision was applied, by whom, from strata_history', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;', message: 'first' })
  project.sql('bbb222', { down: 'aaa111', up: 'SELECT 1;', message: 'second' })
  assert.equal((await project.cli(['upgrade', 'aaa111'])).code, 0)
  const history = await project.cli(['history', '-v', '-i'])
  assert.equal(history.code, 0, history.stderr)
  assert.match(
    history.stdout,
    /Rev: aaa111 \(current\)\nParent: <base>\n(Downgrade: none\n)?Applied: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by \S+ \(postgres@127\.0\.0\.1\), \d+ ms\nPath: /,
  )
  assert.match(
    history.stdout,
    /Rev: bbb222 \(head\)\nParent: aaa111\n(Downgrade: none\n)?Path: /,
    'a pending revision has no Applied line',
  )
})

test('history --log lists every step run against the database, failed ones too, newest first, with who ran it', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: 'CREATE TABLE notes (id int);',
    downSql: 'DROP TABLE notes;',
    message: 'first',
  })
  project.sql('bbb222', { down: 'aaa111', up: "SELECT 1/0, 'password=hunter2';", message: 'second' })
  const empty = await project.cli(['history', '--log'])
  assert.equal(empty.code, 0, empty.stderr)
  assert.match(empty.stdout, /^no steps recorded in public\.strata_history on t_\w+\n$/)
  assert.equal((await project.cli(['upgrade', 'aaa111'])).code, 0)
  assert.equal((await project.cli(['upgrade', 'head'])).code, 1)
  assert.equal((await project.cli(['downgrade', 'base'])).code, 0)
  const log = await project.cli(['history', '--log'])
  assert.equal(log.code, 0, log.stderr)
  const lines = log.stdout.split('\n')
  assert.match(lines[0]!, /^finished \(UTC\) +step +revision +outcome +took +by +backup/)
  assert.match(
    lines[1]!,
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +down +aaa111 +success +\d+ ms +\S+ \(postgres@127\.0\.0\.1\)/,
  )
  assert.match(lines[2]!, / +up +bbb222 +✗ failed +\d+ ms /)
  assert.match(lines[3]!, / +up +aaa111 +success /)
  assert.match(log.stdout, /\nbbb222 up failed: .*division by zero/)
  assert.doesNotMatch(log.stdout, /hunter2/)
  const newest = JSON.parse((await project.cli(['history', '--log', '--limit', '1', '--json'])).stdout)
  assert.equal(newest.total, 3)
  assert.deepEqual(
    newest.steps.map((step: { revision: string; direction: string }) => [step.revision, step.direction]),
    [['aaa111', 'down']],
  )
  const limited = await project.cli(['history', '--log', '--limit', '2'])
  assert.match(limited.stdout, /\(1 older steps: --limit 3 shows them all\)\n$/)
  const bad = await project.cli(['history', '--log', '--limit', '0'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--limit expects a positive whole number, got "0"/)
  const mixed = await project.cli(['history', '--log', '-r', 'base:head'])
  assert.equal(mixed.code, 2)
  assert.match(mixed.stderr, /--log lists the steps run against the database: no -r, -v or -i with it/)
})

test('a project moving from Alembic keeps its Python migrations: Strata reads them, chains new ones after them, and refuses to run them', async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  const python = (revision: string, down: string, message: string, upgrade: string) =>
    writeFileSync(
      join(project.versions, `${revision}_${message.replace(/ /g, '_')}.py`),
      `"""${message}\n\nRevision ID: ${revision}\nRevises: ${down}\nCreate Date: 2025-11-20 10:00:00.000000\n\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '${revision}'\ndown_revision = ${down === '' ? 'None' : `'${down}'`}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n${upgrade}\n\n\ndef downgrade():\n    op.execute('SELECT 1')\n`,
    )
  python(
    '1975ea83b712',
    '',
    'create users',
    "    op.create_table('users', sa.Column('id', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint('id'))\n    op.add_column('users', sa.Column('prefs', sa.JSON(), nullable=True))\n    op.execute(\"UPDATE users SET prefs = '{}'\")",
  )
  python(
    'ae1027a6acf0',
    '1975ea83b712',
    'add email',
    "    conn = op.get_bind()\n    conn.execute(sa.text('UPDATE users SET prefs = NULL'))",
  )
  const created = await project.cli(['revision', '-m', 'add nickname', '--sql', '--rev-id', 'b00000000001'])
  assert.equal(created.code, 0, created.stderr)
  assert.match(
    readFileSync(join(project.versions, 'b00000000001_add_nickname.sql'), 'utf8'),
    /^-- down_revision: ae1027a6acf0$/m,
  )
  const history = await project.cli(['history'])
  assert.equal(
    history.stdout,
    'ae1027a6acf0 -> b00000000001 (head), add nickname\n1975ea83b712 -> ae1027a6acf0, add email\n<base> -> 1975ea83b712, create users\n',
  )

  // check analyses each as the SQL migration convert would port it to, at its op calls'
  // lines; one that is Python code is listed as not analysed, with the line that stops it.
  const checked = await project.cli(['check', '-r', 'base:ae1027a6acf0'])
  assert.match(checked.stdout, /warning {2}prefer-jsonb {2}line 19 {2}users\.prefs \(json\)/)
  assert.match(
    checked.stdout,
    /warning {2}unverifiable {2}an Alembic migration Strata cannot port \(line 18\): `conn = op\.get_bind\(\)` is Python code \(a data migration\).*\n {11}fix: review it by hand, or port it to a TypeScript or SQL migration with the same revision id/,
  )
  assert.equal((checked.stdout.match(/unverifiable {2}/g) ?? []).length, 1, checked.stdout)

  // A fresh database would need the Python migrations: refused before anything runs.
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /^error: 2 Alembic migrations \(Python\) would have to run: 1975ea83b712 \(create users\), ae1027a6acf0 \(add email\)\. Strata reads Alembic migrations but cannot run them; nothing was changed\n/,
  )
  assert.match(
    refused.stderr,
    /hint: apply them with Alembic first \(alembic upgrade ae1027a6acf0\); if the database already has their changes, record that with `strata stamp ae1027a6acf0`/,
  )
  assert.equal((await database.one("SELECT to_regclass('alembic_version') AS t")).t, null)

  // The database Alembic migrated: adopted as it is, and the new migration runs after.
  await database.query(
    "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('ae1027a6acf0')",
  )
  project.sql('b00000000001', {
    down: 'ae1027a6acf0',
    message: 'add nickname',
    up: 'CREATE TABLE nick (id int);',
    downSql: 'DROP TABLE nick;',
  })
  rmSync(join(project.versions, 'b00000000001_add_nickname.sql'))
  assert.equal((await project.cli(['current'])).stdout, 'ae1027a6acf0\n')
  const upgraded = await project.cli(['upgrade', 'head'])
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.equal((await project.cli(['current'])).stdout, 'b00000000001 (head)\n')
  const below = await project.cli(['downgrade', 'base', '--no-backup'])
  assert.equal(below.code, 2)
  assert.match(below.stderr, /would have to run: ae1027a6acf0 \(add email\), 1975ea83b712 \(create users\)/)
  assert.match(below.stderr, /hint: downgrade past them with Alembic/)
  assert.equal((await project.cli(['current'])).stdout, 'b00000000001 (head)\n', 'nothing was reverted')
})
