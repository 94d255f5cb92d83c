import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestDatabase } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'

// Every problem in the migration files stops the command with exit 2 and the file
// (and line) named, before anything touches the database.

async function expectRefused(
  t: Parameters<typeof testProject>[0],
  setup: (project: TestProject) => void,
  pattern: RegExp,
) {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  setup(project)
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 2, `exit code for ${pattern}: ${result.stderr}`)
  assert.match(result.stderr, pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
  const untouched = await db.one(
    "SELECT to_regclass('alembic_version') AS version, to_regclass('strata_history') AS history",
  )
  assert.deepEqual(untouched, { version: null, history: null }, 'the database was not touched')
}

const valid = (project: TestProject) =>
  project.sql('aaa111', { up: 'CREATE TABLE a (id int);', downSql: 'DROP TABLE a;' })

test('a TypeScript syntax error names the file and line', async (t) => {
  await expectRefused(
    t,
    (project) => {
      valid(project)
      project.ts(
        'bbb222',
        "export const revision = 'bbb222'\nexport const downRevision = 'aaa111'\nexport async function upgrade(op) {\n  await op.execute('x'\n}\n",
      )
    },
    /bbb222_m\.ts:\d+: syntax error/,
  )
})

test('a migration that throws on load names the line', async (t) => {
  await expectRefused(
    t,
    (project) =>
      project.ts(
        'bbb222',
        "export const revision = 'bbb222'\nthrow new Error('needs secrets')\nexport async function upgrade() {}\n",
      ),
    /bbb222_m\.ts:2: the migration threw while loading: needs secrets/,
  )
})

test('an import that does not resolve says whether to fix a path, declare an alias or install a package', async (t) => {
  const importing = (specifier: string) => (project: TestProject) =>
    project.ts(
      'ccc333',
      `import { TABLE } from '${specifier}'\nexport const revision = 'ccc333'\nexport async function upgrade(op) { await op.execute(\`CREATE TABLE \${TABLE} (id int)\`) }\n`,
    )
  await expectRefused(
    t,
    importing('@/db/tables'),
    /ccc333_m\.ts:1: the migration imports @\/db\/tables, which does not resolve from \S+\n {2}hint: declare the alias in the project's tsconfig\.json \(compilerOptions\.paths\), which Strata reads\n/,
  )
  await expectRefused(
    t,
    importing('left-pad-nowhere/lib'),
    /hint: install the package in the project \(npm install left-pad-nowhere\)/,
  )
  await expectRefused(t, importing('../lib/tables'), /hint: fix the path \(relative to the migration file\)/)
})

test("the project's tsconfig.json path aliases resolve in migrations, as in the application", async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  writeFileSync(
    join(project.dir, 'tsconfig.json'),
    '{\n  // JSON with comments, as tsconfig files are\n  "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } },\n}\n',
  )
  mkdirSync(join(project.dir, 'src', 'db'), { recursive: true })
  writeFileSync(join(project.dir, 'src', 'db', 'tables.ts'), "export const TABLE = 'aliased'\n")
  project.ts(
    'ddd444',
    "import { TABLE } from '@/db/tables'\nexport const revision = 'ddd444'\nexport async function upgrade(op) { await op.execute(`CREATE TABLE ${TABLE} (id int)`) }\n",
  )
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.equal((await db.one("SELECT to_regclass('aliased')::text AS t")).t, 'aliased')

  // Aliases in a shared base file the project's tsconfig.json extends.
  const other = testProject(t, await createTestDatabase(t))
  writeFileSync(
    join(other.dir, 'tsconfig.base.json'),
    '{ "compilerOptions": { "paths": { "~/*": ["./lib/*"] } } }\n',
  )
  writeFileSync(join(other.dir, 'tsconfig.json'), '{ "extends": "./tsconfig.base.json" }\n')
  mkdirSync(join(other.dir, 'lib'))
  writeFileSync(join(other.dir, 'lib', 'names.ts'), "export const TABLE = 'extended'\n")
  other.ts(
    'eee555',
    "import { TABLE } from '~/names'\nexport const revision = 'eee555'\nexport async function upgrade(op) { await op.execute(`CREATE TABLE ${TABLE} (id int)`) }\n",
  )
  const extended = await other.cli(['upgrade', 'head'])
  assert.equal(extended.code, 0, extended.stderr)
})

test('missing revision or upgrade exports', async (t) => {
  await expectRefused(
    t,
    (project) => project.ts('bbb222', 'export async function upgrade() {}\n'),
    /bbb222_m\.ts:1: no `revision` export\n {2}hint: add: export const revision/,
  )
  // A helper module left among the migrations: said to be one, with where it goes instead.
  await expectRefused(
    t,
    (project) => project.ts('helpers', 'export function slugify(text: string) { return text }\n'),
    /helpers_m\.ts:1: no `revision` export\n {2}hint: not a migration \(no revision, no upgrade\): a helper module goes outside the versions directory, or is named with a leading underscore \(_helpers_m\.ts\)/,
  )
  await expectRefused(
    t,
    (project) => project.ts('ccc333', "export const revision = 'ccc333'\nexport const downRevision = null\n"),
    /ccc333_m\.ts:\d+: no `upgrade` function exported/,
  )
})

test('duplicate revision ids name both files', async (t) => {
  await expectRefused(
    t,
    (project) => {
      valid(project)
      project.ts('copy', "export const revision = 'aaa111'\nexport async function upgrade() {}\n")
    },
    /revision aaa111 is defined twice: in .*aaa111_m\.sql and in .*copy_m\.ts/,
  )
})

test('a migration moved into a subdirectory of a version location is refused, not left out; helpers there and listed subdirectories are fine', async (t) => {
  await expectRefused(
    t,
    (project) => {
      valid(project)
      mkdirSync(join(project.versions, '2026', 'december'), { recursive: true })
      writeFileSync(
        join(project.versions, '2026', 'december', 'bbb222_m.sql'),
        '-- revision: bbb222\n-- down_revision: aaa111\n-- migrate:up\nCREATE TABLE b (id int);\n',
      )
    },
    /error: .*versions\/2026 holds a migration \(.*2026\/december\/bbb222_m\.sql\) that Strata would not read: it reads the files of .*versions itself, not of its subdirectories\n {2}at: migrations\.directories\n {2}hint: add the subdirectory to migrations\.directories/,
  )
  const db = await createTestDatabase(t)
  const helpers = testProject(t, db)
  valid(helpers)
  mkdirSync(join(helpers.versions, 'lib'))
  writeFileSync(join(helpers.versions, 'lib', 'columns.ts'), 'export const idColumn = "id bigint"\n')
  assert.equal((await helpers.cli(['history'])).code, 0, 'a helper module is no migration')
  const listed = testProject(t, db, {
    migrations: { directories: ['migrations/versions', 'migrations/versions/more'] },
  })
  valid(listed)
  mkdirSync(join(listed.versions, 'more'))
  writeFileSync(
    join(listed.versions, 'more', 'bbb222_m.sql'),
    '-- revision: bbb222\n-- down_revision: aaa111\n-- migrate:up\nCREATE TABLE b (id int);\n',
  )
  const history = await listed.cli(['history'])
  assert.equal(history.code, 0, history.stderr)
  assert.match(history.stdout, /aaa111 -> bbb222 \(head\)/)
  // migrations.recursive (Alembic's recursive_version_locations) reads them where they are;
  // below the top level, only files that declare a revision are migrations.
  const recursive = testProject(t, db, { migrations: { recursive: true } })
  valid(recursive)
  mkdirSync(join(recursive.versions, '2026', 'december'), { recursive: true })
  writeFileSync(
    join(recursive.versions, '2026', 'december', 'bbb222_m.sql'),
    '-- revision: bbb222\n-- down_revision: aaa111\n-- migrate:up\nCREATE TABLE b (id int);\n',
  )
  mkdirSync(join(recursive.versions, 'lib'))
  writeFileSync(join(recursive.versions, 'lib', 'columns.ts'), 'export const idColumn = "id bigint"\n')
  const up = await recursive.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /Running upgrade aaa111 -> bbb222/)
})

test('a migration not saved as UTF-8 is refused with its line and column before anything runs, not sent with its letters replaced', async (t) => {
  await expectRefused(
    t,
    (project) => {
      writeFileSync(
        join(project.versions, 'aaa111_m.sql'),
        Buffer.from(
          "-- revision: aaa111\n-- down_revision: none\n-- migrate:up\nCREATE TABLE people (name text); INSERT INTO people VALUES ('Jos\xe9');\n",
          'latin1',
        ),
      )
    },
    /aaa111_m\.sql:4:65: not UTF-8 \(byte 0xE9\).*\n {2}hint: save the file as UTF-8/,
  )
})

test('a downRevision or dependsOn naming nothing', async (t) => {
  await expectRefused(
    t,
    (project) => project.sql('bbb222', { down: 'aaa11x', up: 'SELECT 1;' }),
    /bbb222: downRevision "aaa11x" names no migration/,
  )
  await expectRefused(
    t,
    (project) => {
      valid(project)
      project.sql('bbb222', { down: 'aaa111', up: 'SELECT 1;', header: { depends_on: 'ghost' } })
    },
    /dependsOn "ghost" names no migration or branch label/,
  )
})

test('a cycle is reported with its path', async (t) => {
  await expectRefused(
    t,
    (project) => {
      project.sql('aaa111', { down: 'bbb222', up: 'SELECT 1;' })
      project.sql('bbb222', { down: 'aaa111', up: 'SELECT 1;' })
    },
    /the migrations form a cycle: (aaa111 -> bbb222 -> aaa111|bbb222 -> aaa111 -> bbb222)/,
  )
})

test('an id longer than 32 characters or with forbidden characters', async (t) => {
  const long = 'a'.repeat(33)
  await expectRefused(
    t,
    (project) => project.sql(long, { up: 'SELECT 1;' }),
    new RegExp(
      `${long}_m\\.sql:1: the revision id "${long}" is 33 characters long; alembic_version\\.version_num holds at most 32`,
    ),
  )
  await expectRefused(
    t,
    (project) => project.sql('abc-def', { up: 'SELECT 1;' }),
    /may only contain letters, digits and underscores/,
  )
})

test('two files claiming the same branch label', async (t) => {
  await expectRefused(
    t,
    (project) => {
      project.sql('aaa111', { up: 'SELECT 1;', header: { branch_labels: 'auth' } })
      project.sql('bbb222', { up: 'SELECT 1;', header: { branch_labels: 'auth' } })
    },
    /branch label "auth" is claimed by two revisions: aaa111 .* and bbb222/,
  )
})

test('an SQL file with no -- migrate:up section, or an unknown header key', async (t) => {
  await expectRefused(
    t,
    (project) => writeRaw(project, 'bbb222_m.sql', '-- revision: bbb222\nCREATE TABLE x (id int);\n'),
    /bbb222_m\.sql:3: no "-- migrate:up" section/,
  )
  await expectRefused(
    t,
    (project) =>
      writeRaw(
        project,
        'bbb222_m.sql',
        '-- revision: bbb222\n-- down_revison: none\n-- migrate:up\nSELECT 1;\n',
      ),
    /bbb222_m\.sql:2: unknown header key "down_revison"\. Did you mean "down_revision"\?/,
  )
})

function writeRaw(project: TestProject, name: string, text: string): string {
  writeFileSync(join(project.versions, name), text)
  return name
}

test('a mistyped op method names the line and the method meant, online, offline and in check (a relative path)', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    [
      "export const revision = 'aaa111'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      "  await op.addColum('users', { name: 'bio', type: 'text' })",
      '}',
      '',
    ].join('\n'),
  )
  const online = await project.cli(['upgrade', 'head'])
  assert.equal(online.code, 2, 'a migration that calls a method the op API lacks is invalid input')
  assert.match(
    online.stderr,
    /upgrade aaa111 failed: op\.addColum is not a function\n {2}in \S+aaa111_m\.ts:4\n/,
  )
  assert.match(online.stderr, /hint: op has no method addColum: did you mean op\.addColumn\?/)
  assert.equal((await project.cli(['current'])).stdout, '')

  const offline = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(offline.code, 2)
  assert.match(
    offline.stderr,
    /^error: upgrade aaa111 could not be rendered offline: op\.addColum is not a function\n/,
  )
  assert.match(
    offline.stderr,
    /at: \S+aaa111_m\.ts:4\n {2}hint: op has no method addColum: did you mean op\.addColumn\?/,
  )
  assert.doesNotMatch(offline.stderr, /unexpected error/)

  // check fails it too (exit 1, an error at its line), so CI stops it before a deploy.
  const checked = await project.cli(['check', 'migrations/versions/aaa111_m.ts'])
  assert.equal(checked.code, 1)
  assert.match(
    checked.stdout,
    /error +invalid-op-call +line 4 +upgrade\(\) fails: op\.addColum is not a function\n +fix: op has no method addColum: did you mean op\.addColumn\?/,
  )
  assert.match(checked.stdout, /upgrade\(\) fails at line 4: op\.addColum is not a function/, 'in the reason')
})

test('an op option the API does not know is refused before anything runs: online, offline and in check', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  await db.query('CREATE TABLE users (id bigint PRIMARY KEY, email text)')
  project.ts(
    'bbb222',
    [
      "export const revision = 'bbb222'",
      'export const downRevision = null',
      'export const transactional = false',
      'export async function upgrade(op: any) {',
      "  await op.addColumn('users', { name: 'nickname', type: 'text' })",
      "  await op.createIndex('ix_users_email', 'users', ['email'], { concurrent: true })",
      '}',
      '',
    ].join('\n'),
  )
  const online = await project.cli(['upgrade', 'head'])
  assert.equal(online.code, 2)
  assert.match(
    online.stderr,
    /upgrade bbb222 failed: createIndex\('ix_users_email'\): unknown option concurrent \(did you mean concurrently: true\?\)\n {2}in \S+bbb222_m\.ts:6\n/,
  )
  assert.match(
    online.stderr,
    /hint: the options it knows: unique, where, include, using, concurrently, ifNotExists/,
  )
  assert.doesNotMatch(online.stderr, /\n\s+at /, 'no stack trace')
  // Non-transactional: the statement before the bad call ran and is named as such.
  assert.match(online.stderr, /1 statement\(s\) completed: ALTER TABLE "users" ADD COLUMN "nickname" text/)
  const indexes = await db.query(
    "SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'ix_users_email'",
  )
  assert.equal(indexes.rows[0]?.n, 0, 'no index was built, blocking or not')
  assert.equal((await project.cli(['current'])).stdout, '')

  const offline = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(offline.code, 2)
  assert.match(offline.stderr, /unknown option concurrent \(did you mean concurrently: true\?\)/)

  const checked = await project.cli(['check', 'migrations/versions/bbb222_m.ts'])
  assert.equal(checked.code, 1)
  assert.match(
    checked.stdout,
    /error +invalid-op-call +line 6 +upgrade\(\) fails: createIndex\('ix_users_email'\): unknown option concurrent/,
  )
})

test('an op call without await fails the migration before it commits, names its line, and says what the call did', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  await db.query('CREATE TABLE users (id bigint PRIMARY KEY, email text)')
  const body = (lines: string[]) =>
    [
      "export const revision = 'aaa111'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      ...lines,
      '}',
      '',
    ].join('\n')
  // The call succeeds on the server, but the migration returned before it: refused, rolled back.
  project.ts('aaa111', body(["  op.addColumn('users', { name: 'bio', type: 'text' })"]))
  const online = await project.cli(['upgrade', 'head'])
  assert.equal(online.code, 2, online.stderr)
  assert.match(
    online.stderr,
    /upgrade aaa111 failed: upgrade\(\) does not await op\.addColumn: its statements would run after the migration was committed, outside its transaction, and a failure would go unseen\n {2}in \S+aaa111_m\.ts:4\n/,
  )
  assert.match(online.stderr, /hint: write await op\.addColumn\(\.\.\.\)/)
  assert.doesNotMatch(online.stderr, /\n\s+at /, 'no stack trace')
  const column = await db.query(
    "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'bio'",
  )
  assert.equal(column.rowCount, 0, 'the column was rolled back with the migration')
  assert.equal((await project.cli(['current'])).stdout, '')

  // A call that fails without await: its own error is shown, not Node's unhandled rejection.
  project.ts(
    'aaa111',
    body(["  op.createTable('notes', { id: 'bigint' })", "  await op.execute('SELECT 1')"]),
  )
  const checked = await project.cli(['check', 'migrations/versions/aaa111_m.ts'])
  assert.equal(checked.code, 1, checked.stderr)
  assert.match(
    checked.stdout,
    /error +invalid-op-call +line 4 +upgrade\(\) fails: upgrade\(\) does not await op\.createTable: it failed, which the migration never saw: createTable\('notes'\): the columns must be a non-empty array/,
  )
  assert.equal(checked.stderr, '', 'no unhandled rejection')
  const offline = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(offline.code, 2)
  assert.match(offline.stderr, /does not await op\.createTable/)

  // Awaited in any form (Promise.all, returned, .then) is fine.
  project.ts(
    'aaa111',
    body([
      "  await Promise.all([op.addColumn('users', { name: 'bio', type: 'text' })])",
      "  await op.addColumn('users', { name: 'nick', type: 'text' }).then(() => undefined)",
      "  return op.createIndex('ix_users_email', 'users', ['email'])",
    ]),
  )
  const fine = await project.cli(['upgrade', 'head'])
  assert.equal(fine.code, 0, fine.stderr)
  const columns = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('bio', 'nick') ORDER BY 1",
  )
  assert.deepEqual(
    columns.rows.map((row) => row.column_name),
    ['bio', 'nick'],
  )
})

test('a backfill without where is refused before it commits the statements before it, with a where to write', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  await db.query(
    "CREATE TABLE users (id bigint PRIMARY KEY, email text); INSERT INTO users VALUES (1, 'a@example.com')",
  )
  project.ts(
    'bbb222',
    [
      "export const revision = 'bbb222'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      "  await op.addColumn('users', { name: 'display_name', type: 'text' })",
      "  await op.backfill({ table: 'users', set: { display_name: op.sql(\"split_part(email, '@', 1)\") } })",
      '}',
      '',
    ].join('\n'),
  )
  const result = await project.cli(['upgrade', 'head'])
  assert.equal(result.code, 2, result.stderr)
  assert.match(
    result.stderr,
    /upgrade bbb222 failed: backfill\('users'\): where is missing: the condition that picks the rows still to write\..*\n {2}in \S+bbb222_m\.ts:5\n/,
  )
  assert.match(result.stderr, /hint: e\.g\. where: 'display_name IS NULL' \(for a new column\)/)
  // The ADD COLUMN before it was in the migration's transaction, and went with it.
  const column = await db.query(
    "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'display_name'",
  )
  assert.equal(column.rowCount, 0, 'the column was not committed')
  assert.equal((await project.cli(['current'])).stdout, '')
})

test("check names another tool's op vocabulary, finds a downgrade's bad call, and leaves code past a query result unverifiable", async (t) => {
  const project = testProject(t)
  project.ts(
    'ccc111',
    [
      "export const revision = 'ccc111'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      "  await op.add_column('users', { name: 'bio', type: 'text' })",
      '}',
      'export async function downgrade(op: any) {',
      "  await op.dropColumns('users', ['bio'])",
      '}',
      '',
    ].join('\n'),
  )
  project.ts(
    'ccc222',
    [
      "export const revision = 'ccc222'",
      "export const downRevision = 'ccc111'",
      'export async function upgrade(op: any) {',
      "  await op.createTable('events', [{ name: 'at', type: 'timestamptz', default: op.func('now()') }])",
      '}',
      '',
    ].join('\n'),
  )
  project.ts(
    'ccc333',
    [
      "export const revision = 'ccc333'",
      "export const downRevision = 'ccc222'",
      'export async function upgrade(op: any) {',
      "  const [row] = await op.query('SELECT max(id) AS id FROM users')",
      '  await op.addColum(row.id)',
      '}',
      '',
    ].join('\n'),
  )
  const checked = await project.cli(['check', '--json'])
  assert.equal(checked.code, 1, checked.stderr)
  const report = JSON.parse(checked.stdout) as {
    migrations: {
      revision: string
      findings: { rule: string; level: string; line?: number; message: string; fix: string }[]
    }[]
  }
  const findings = (revision: string) =>
    report.migrations
      .find((m) => m.revision === revision)!
      .findings.filter((f) => f.rule.startsWith('invalid-op') || f.rule === 'unverifiable')
  assert.deepEqual(
    findings('ccc111').map((f) => [f.level, f.line, f.message, f.fix]),
    [
      [
        'error',
        4,
        'upgrade() fails: op.add_column is not a function',
        "op has no method add_column: did you mean op.addColumn? (Alembic's add_column)",
      ],
      [
        'error',
        7,
        'downgrade() fails: op.dropColumns is not a function',
        "op has no method dropColumns: op.dropColumn('table', 'column') drops one column per call",
      ],
    ],
  )
  assert.deepEqual(
    findings('ccc222').map((f) => [f.rule, f.fix]),
    [
      [
        'invalid-op-call',
        "op has no method func: an SQL expression is op.sql('now()') (node-pg-migrate's pgm.func)",
      ],
    ],
  )
  // Offline the query returned no row: what failed after it may work on the server.
  assert.deepEqual(
    findings('ccc333').map((f) => [f.rule, f.level]),
    [
      ['unverifiable', 'warning'],
      ['unverifiable', 'warning'],
    ],
  )
})

test('a default written as a string that reads as SQL is refused, with the op.sql form to write', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.ts(
    'ccc333',
    [
      "export const revision = 'ccc333'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      "  await op.createTable('events', [",
      "    { name: 'id', type: 'bigint', primaryKey: true, identity: true },",
      "    { name: 'created_at', type: 'timestamptz', nullable: false, default: 'now()' },",
      '  ])',
      '}',
      '',
    ].join('\n'),
  )
  const online = await project.cli(['upgrade', 'head'])
  assert.equal(online.code, 2)
  assert.match(online.stderr, /the string 'now\(\)' would be written as a value, not evaluated as SQL/)
  assert.match(online.stderr, /in \S+ccc333_m\.ts:4\n/)
  assert.match(online.stderr, /hint: write op\.sql\('now\(\)'\) for the expression/)
  const table = await db.query("SELECT to_regclass('events') AS t")
  assert.equal(table.rows[0]?.t, null, 'the transaction rolled back: no table')
})
