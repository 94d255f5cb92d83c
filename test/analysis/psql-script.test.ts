import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkMigrations } from '../../src/analysis/check.js'
import { readPsqlScript } from '../../src/analysis/psql-script.js'
import { resolveConfig } from '../../src/config/load-config.js'

test('psql meta-commands are blanked out, keeping lines; \\g ends its statement as ; does', () => {
  const text = [
    '\\set ON_ERROR_STOP on',
    "SELECT 'a\\b', $$ \\not a command $$ -- \\nor this",
    'SELECT 2 \\gx',
    'SELECT 3',
  ].join('\n')
  const script = readPsqlScript(text)
  assert.equal(
    script.sql,
    [
      '                     ',
      "SELECT 'a\\b', $$ \\not a command $$ -- \\nor this",
      'SELECT 2 ;  ',
      'SELECT 3',
    ].join('\n'),
  )
  assert.deepEqual(script.unverifiable, [])
})

test('what psql runs that cannot be analysed is named with its line', () => {
  const script = readPsqlScript(
    [
      "SELECT format('CREATE INDEX ON %I (id)', tablename) FROM pg_tables \\gexec",
      '\\ir other.sql',
      '\\c reports',
    ].join('\n'),
  )
  assert.deepEqual(script.unverifiable, [
    'line 1: \\gexec runs the rows its query returns as SQL, which is not analysed',
    'line 2: \\ir other.sql includes a file that is not analysed here: check it too',
    'line 3: \\c reports switches database; what follows is analysed as one script',
  ])
})

test('strata check reads a psql script: its statements, their lines, and a class that names the change', async () => {
  const text = [
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    "SET lock_timeout = '5s';",
    'ALTER TABLE users ADD COLUMN nickname text;',
    'COMMIT;',
    '\\echo done',
  ].join('\n')
  const report = await checkMigrations({
    config: resolveConfig({}, undefined, process.cwd()),
    files: [{ path: 'deploy.sql', text }],
  })
  const migration = report.migrations[0]!
  assert.deepEqual(
    migration.statements.map((statement) => statement.line),
    [2, 3, 4, 5],
  )
  assert.equal(migration.classification.reason, 'additive: adds column users.nickname (text)')
  assert.deepEqual(migration.findings, [])
})

test('psql variables the script sets are interpolated as psql does: :name, :\'name\', :"name"', () => {
  const script = readPsqlScript(
    [
      '\\set schema app',
      "\\set owner 'deploy bot'",
      'CREATE TABLE :schema.events (id bigint, tags text[]);',
      "COMMENT ON TABLE :schema.events IS :'owner';",
      'SELECT tags[1:2], id::text FROM :"schema".events;',
    ].join('\n'),
  )
  assert.deepEqual(script.sql.split('\n').slice(2), [
    'CREATE TABLE app.events (id bigint, tags text[]);',
    "COMMENT ON TABLE app.events IS 'deploy bot';",
    'SELECT tags[1:2], id::text FROM "app".events;',
  ])
  assert.deepEqual(script.unresolved, [])
})

test('lines after an interpolated variable are still counted from the top', () => {
  const script = readPsqlScript(
    ['\\set schema app', '', 'CREATE TABLE :schema.t (id int);', '', '\\i more.sql'].join('\n'),
  )
  assert.deepEqual(script.unverifiable, [
    'line 5: \\i more.sql includes a file that is not analysed here: check it too',
  ])
})

test('a psql variable set outside the script (psql -v) is left as written, and the error says what to do', async () => {
  const script = readPsqlScript('CREATE TABLE :schema.events (id bigint);')
  assert.equal(script.sql, 'CREATE TABLE :schema.events (id bigint);')
  assert.deepEqual(script.unresolved, ['schema'])
  // The script is not analysed; the report says why and where (the CLI then exits 2).
  const report = await checkMigrations({
    config: resolveConfig({}, undefined, process.cwd()),
    files: [{ path: 'deploy.sql', text: 'CREATE TABLE :schema.events (id bigint);' }],
  })
  assert.deepEqual(report.migrations, [])
  const [unreadable] = report.unreadable
  assert.equal(unreadable?.id, 'deploy.sql')
  assert.equal(unreadable?.where, 'deploy.sql:1')
  assert.match(unreadable?.hint ?? '', /:schema is a psql variable the script does not \\set/)
})

test('an included file is an unverifiable finding whose fix speaks to a script, not to a migration', async () => {
  const report = await checkMigrations({
    config: resolveConfig({}, undefined, process.cwd()),
    files: [{ path: 'deploy.sql', text: '\\i schema.sql\nCREATE TABLE t (id bigint);\n' }],
  })
  assert.deepEqual(
    report.migrations[0]!.findings.map((finding) => [finding.rule, finding.message, finding.fix]),
    [
      [
        'unverifiable',
        'line 1: \\i schema.sql includes a file that is not analysed here: check it too',
        'review that part by hand',
      ],
    ],
  )
})

test("COPY ... FROM stdin's rows are data up to \\., as psql reads them: a pg_dump plain script checks", async () => {
  const text = [
    '\\restrict AbC',
    'SET statement_timeout = 0;',
    'CREATE TABLE public.t (id integer, s text);',
    '-- Data for Name: t',
    'COPY public.t (id, s) FROM stdin;',
    "1\ta; DROP TABLE users; 'unclosed",
    '2\t\\N',
    '\\.',
    'ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);',
    '\\unrestrict AbC',
  ].join('\n')
  const script = readPsqlScript(text)
  assert.equal(script.sql.split('\n').length, text.split('\n').length, 'same lines')
  assert.doesNotMatch(script.sql, /DROP TABLE users|unclosed/)
  const report = await checkMigrations({
    config: resolveConfig({}, undefined, process.cwd()),
    files: [{ path: 'dump.sql', text }],
  })
  const migration = report.migrations[0]!
  assert.deepEqual(
    migration.statements.map((statement) => [statement.line, statement.sql.split(' ')[0]]),
    [
      [2, 'SET'],
      [3, 'CREATE'],
      [5, 'COPY'],
      [9, 'ALTER'],
    ],
  )
  assert.equal(migration.classification.class, 'additive', 'a new table loaded and keyed')
})

test('a COPY right after a meta-command, or after a query sent with \\g, still has its rows read as data', () => {
  for (const before of ['\\set ON_ERROR_STOP on', 'SELECT 1 \\g']) {
    const script = readPsqlScript([before, 'COPY t FROM stdin;', "1\t'x;", '\\.', 'SELECT 2;'].join('\n'))
    assert.doesNotMatch(script.sql, /'x/, before)
    assert.match(script.sql, /SELECT 2;$/)
  }
})
