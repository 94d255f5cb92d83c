import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { runCli } from '../helpers/cli.js'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

const CREATE_USERS =
  'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email varchar(100), old_column text)'

test('offline check of a project: classes, lock table, exit 1 on errors, SQL and TS suppressions', async (t) => {
  const project = testProject(t)
  project.sql('a1', { up: `${CREATE_USERS};`, downSql: 'DROP TABLE users;', message: 'create users' })
  project.sql('a2', {
    down: 'a1',
    up: 'CREATE INDEX ix_users_email ON users (email);',
    downSql: 'DROP INDEX ix_users_email;',
    message: 'index email',
  })
  project.ts(
    'a3',
    `export const revision = 'a3'
export const downRevision = 'a2'
export const phase = 'contract'
export const allow = ['drop-column: release 41 stopped reading old_column']
export async function upgrade(op) { await op.dropColumn('users', 'old_column') }
export async function downgrade(op) { await op.addColumn('users', { name: 'old_column', type: 'text' }) }
`,
  )
  const result = await project.cli(['check'])
  assert.equal(result.code, 1, result.stderr)
  assert.match(
    result.stderr,
    /No database configured and the development server is not running: checking every migration from the files \(offline\)/,
  )
  assert.match(result.stdout, /a1 {2}create users[\s\S]*additive · downtime none · risk low/)
  assert.match(result.stdout, /a2 {2}index email[\s\S]*downtime minimal · risk high/)
  assert.match(
    result.stdout,
    /CREATE INDEX ix_users_email ON users \(email\) +SHARE +users +writes, DDL +builds index +5s \(runner\)/,
  )
  assert.match(result.stdout, /error +create-index-not-concurrently +line 5/)
  assert.match(result.stdout, /fix: CREATE INDEX CONCURRENTLY ix_users_email ON users \(email\)/)
  // A contract step runs once no instance of the previous release is left: no downtime.
  assert.match(
    result.stdout,
    /a3 [\s\S]*breaking · downtime none · risk high · phase contract\n {2}breaking: drops column users.old_column that the previous release may still read; no downtime as a contract step/,
  )
  assert.doesNotMatch(result.stdout, /error +drop-column/)
  assert.match(result.stdout, /3 migrations checked: 1 error/)

  // The SQL form: a reason is required, and the rule must exist.
  project.sql('a2', {
    down: 'a1',
    up: '-- strata:allow create-index-not-concurrently: users has 40 rows, built at install\nCREATE INDEX ix_users_email ON users (email);',
    downSql: 'DROP INDEX ix_users_email;',
  })
  const allowed = await project.cli(['check', '--offline'])
  assert.equal(allowed.code, 0, allowed.stdout)
  assert.match(allowed.stdout, /allowed +create-index-not-concurrently +line 6 +users has 40 rows/)

  project.sql('a2', {
    down: 'a1',
    up: '-- strata:allow create-index-not-concurent\nCREATE INDEX ix_users_email ON users (email);',
    downSql: 'DROP INDEX ix_users_email;',
  })
  const misspelt = await project.cli(['check', '--offline'])
  assert.equal(misspelt.code, 1)
  assert.match(misspelt.stdout, /invalid-suppression .*unknown rule "create-index-not-concurent"/)
  assert.match(misspelt.stdout, /did you mean "create-index-not-concurrently"/)
  assert.match(misspelt.stdout, /error +create-index-not-concurrently/)
})

test('check -r, --format json and sarif, config rule levels, and SQL from stdin', async (t) => {
  const project = testProject(t, undefined, {
    check: { rules: { 'missing-downgrade': 'off', 'prefer-text-over-varchar': 'error' } },
  })
  project.sql('b1', { up: `${CREATE_USERS};`, message: 'create users' })
  project.sql('b2', {
    down: 'b1',
    up: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    message: 'email required',
  })

  const json = await project.cli(['check', '--offline', '-r', 'b1:head', '--format', 'json'])
  const report = JSON.parse(json.stdout)
  assert.equal(report.migrations.length, 1)
  assert.equal(report.migrations[0].revision, 'b2')
  assert.equal(report.selection, 'range b1:head')
  assert.deepEqual(
    report.migrations[0].findings.map((f: { rule: string }) => f.rule),
    ['set-not-null-without-check'],
    'missing-downgrade is off in the config',
  )

  const sarif = await project.cli(['check', '--offline', '--format', 'sarif'])
  assert.equal(sarif.code, 1)
  const log = JSON.parse(sarif.stdout)
  assert.equal(log.version, '2.1.0')
  const results = log.runs[0].results as { ruleId: string; level: string; locations: any[] }[]
  const varchar = results.find((r) => r.ruleId === 'prefer-text-over-varchar')!
  assert.equal(varchar.level, 'error', 'the config raised it to error')
  assert.equal(varchar.locations[0].physicalLocation.artifactLocation.uri, 'migrations/versions/b1_m.sql')
  assert.equal(varchar.locations[0].physicalLocation.region.startLine, 5)
  assert.ok(log.runs[0].tool.driver.rules.some((r: { id: string }) => r.id === 'column-type-change'))

  // GitHub Actions annotations: one command per finding, relative to the checkout, the
  // text escaped as the runner reads it back; each migration's class as a notice.
  const summaryFile = join(project.dir, 'step-summary.md')
  writeFileSync(summaryFile, '# earlier step\n')
  const github = await project.cli(['check', '--offline', '--format', 'github'], {
    GITHUB_WORKSPACE: project.dir,
    GITHUB_STEP_SUMMARY: summaryFile,
  })
  assert.equal(github.code, 1)
  // The job summary gets the Markdown report after what earlier steps wrote.
  const summary = readFileSync(summaryFile, 'utf8')
  assert.match(summary, /^# earlier step\n## strata check: 2 migrations, \d+ errors?, \d+ warnings?\n/)
  assert.match(summary, /\n\| b2 email required \| backward compatible \| \w+ \| \w+ \| 1 error \|\n/)
  assert.match(
    summary,
    /\n### b1 create users\n\n\*\*additive\*\* · downtime none · risk high · `migrations\/versions\/b1_m\.sql`\n/,
  )
  assert.match(
    summary,
    /\n- \*\*error\*\* `prefer-text-over-varchar` line 5: .*\n {2}<details><summary>Safe alternative<\/summary>\n\n {2}```\n/,
  )
  // The same, on stdout, for a pull request comment.
  const markdown = await project.cli(['check', '--offline', '--format', 'markdown'])
  assert.equal(markdown.code, 1)
  assert.equal(markdown.stdout, summary.slice('# earlier step\n'.length))
  const annotations = github.stdout.trim().split('\n')
  assert.ok(
    annotations.every((line) => /^::(error|warning|notice) /.test(line)),
    github.stdout,
  )
  const varcharLine = annotations.find((line) => line.includes('prefer-text-over-varchar'))!
  assert.match(
    varcharLine,
    /^::error file=migrations\/versions\/b1_m\.sql,line=5,title=strata check%3A prefer-text-over-varchar::/,
  )
  assert.match(varcharLine, /%0ASafe alternative:%0A/)
  assert.doesNotMatch(varcharLine.slice(2), /\n/)
  assert.ok(
    annotations.some((line) =>
      /^::notice file=migrations\/versions\/b2_m\.sql,title=backward compatible%2C downtime /.test(line),
    ),
  )

  // A migration that cannot be read annotates its line; the others are still analysed
  // and annotated, and the check ends with exit 2.
  const broken = project.sql('b9', { down: 'b2', message: 'typo', up: 'SELECT 1;\nALTER TABL users;' })
  const unreadable = await project.cli(['check', '--offline', '--format', 'github'], {
    GITHUB_WORKSPACE: project.dir,
  })
  assert.equal(unreadable.code, 2, unreadable.stdout)
  assert.match(
    unreadable.stdout,
    /^::error file=migrations\/versions\/b9_m\.sql,line=6,title=strata check%3A cannot read the migration::syntax error at or near "TABL"%0Afix the SQL there/m,
  )
  assert.match(unreadable.stderr, /^error: syntax error at or near "TABL"\n/)
  assert.ok(
    unreadable.stdout.split('\n').some((line) => line.includes('prefer-text-over-varchar')),
    unreadable.stdout,
  )
  rmSync(broken)

  // A GitLab Code Quality report: one issue per finding, paths relative to the
  // checkout, a fingerprint that stays the same from run to run.
  const gitlab = await project.cli(['check', '--offline', '--format', 'gitlab'], {
    CI_PROJECT_DIR: project.dir,
  })
  assert.equal(gitlab.code, 1)
  const issues = JSON.parse(gitlab.stdout) as {
    check_name: string
    severity: string
    fingerprint: string
    description: string
    location: { path: string; lines: { begin: number } }
  }[]
  const varcharIssue = issues.find((issue) => issue.check_name === 'strata/prefer-text-over-varchar')!
  assert.equal(varcharIssue.severity, 'major', 'an error')
  assert.deepEqual(varcharIssue.location, { path: 'migrations/versions/b1_m.sql', lines: { begin: 5 } })
  assert.match(varcharIssue.description, /\. Safe alternative: /)
  assert.match(varcharIssue.fingerprint, /^[0-9a-f]{32}$/)
  assert.equal(
    new Set(issues.map((issue) => issue.fingerprint)).size,
    issues.length,
    'fingerprints are unique',
  )
  const again = await project.cli(['check', '--offline', '--format', 'gitlab'], {
    CI_PROJECT_DIR: project.dir,
  })
  assert.deepEqual(
    (JSON.parse(again.stdout) as { fingerprint: string }[]).map((issue) => issue.fingerprint),
    issues.map((issue) => issue.fingerprint),
  )

  const stdin = await runCli(['check', '-'], { cwd: project.dir, input: 'VACUUM FULL users;\n' })
  assert.equal(stdin.code, 1)
  assert.match(stdin.stdout, /error +vacuum-full-or-cluster +line 1/)

  // Passwords in the SQL are masked, and the JSON stays JSON.
  const secret = await runCli(['check', '-', '--json'], {
    cwd: project.dir,
    input: "CREATE ROLE app LOGIN PASSWORD 'sekrit';\nSELECT dblink_connect('host=db password=hunter2');\n",
  })
  assert.doesNotMatch(secret.stdout, /sekrit|hunter2/)
  const statements = JSON.parse(secret.stdout).migrations[0].statements.map((s: { sql: string }) => s.sql)
  assert.deepEqual(statements, [
    "CREATE ROLE app LOGIN PASSWORD '***'",
    "SELECT dblink_connect('host=db password=***",
  ])
})

test('check -r A:B offline knows what the migrations up to A made: a check validated before the range proves NOT NULL', async (t) => {
  const project = testProject(t)
  project.sql('r1', { up: `${CREATE_USERS};`, downSql: 'DROP TABLE users;' })
  project.sql('r2', {
    down: 'r1',
    header: { transactional: 'false' },
    up: [
      'ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;',
      'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;',
    ].join('\n'),
    downSql: 'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_not_null;',
  })
  project.sql('r3', {
    down: 'r2',
    up: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    downSql: 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
  })
  const range = await project.cli(['check', '--offline', '-r', 'r2:head', '--format', 'json'])
  assert.equal(range.code, 0, range.stdout)
  const report = JSON.parse(range.stdout)
  assert.deepEqual(
    report.migrations.map((m: { revision: string }) => m.revision),
    ['r3'],
    'r1 and r2 are replayed, not reported',
  )
  assert.deepEqual(
    report.migrations[0].findings,
    [],
    'SET NOT NULL scans nothing: the validated check proves it',
  )
  // The file alone, without the migrations before it: the same SET NOT NULL scans the table.
  const alone = await project.cli(['check', 'migrations/versions/r3_m.sql'])
  assert.equal(alone.code, 1)
  assert.match(alone.stdout, /error +set-not-null-without-check/)
  // A range written backwards is said to be, with the one meant.
  const backwards = await project.cli(['check', '--offline', '-r', 'r3:r1'])
  assert.equal(backwards.code, 2)
  assert.equal(
    backwards.stderr,
    'error: -r r3:r1 holds no migration: r1 comes before r3, and a range goes up, FROM:TO\n  hint: strata check -r r1:r3\n',
  )
})

test('check --rules lists every rule at the level the config gives it, as a table or as JSON', async (t) => {
  const project = testProject(t, undefined, {
    check: { rules: { 'drop-column': 'off', 'prefer-jsonb': 'error' } },
  })
  const { RULES, BUILT_IN } = await import('../../src/analysis/rules/index.js')
  const listed = await project.cli(['check', '--rules', '--format', 'json'])
  assert.equal(listed.code, 0, listed.stderr)
  const rules = JSON.parse(listed.stdout) as { id: string; level: string; summary: string }[]
  assert.equal(rules.length, RULES.length + BUILT_IN.length + 1)
  const level = (id: string) => rules.find((rule) => rule.id === id)?.level
  assert.equal(level('drop-column'), 'off')
  assert.equal(level('prefer-jsonb'), 'error')
  assert.equal(level('multiple-heads'), 'error')
  assert.deepEqual(JSON.parse((await project.cli(['--json', 'check', '--rules'])).stdout), rules)
  const human = await project.cli(['check', '--rules'])
  assert.match(human.stdout, /^rule +level +what it catches\n/)
  assert.match(human.stdout, /\ndrop-column +off +/)
  const sarif = await project.cli(['check', '--rules', '--format', 'sarif'])
  assert.equal(sarif.code, 2)
  assert.match(
    sarif.stderr,
    /--rules lists the rules as a table or as JSON: --format human or json, not sarif/,
  )
})

test('bad input to check: one clear line and exit 2', async (t) => {
  const project = testProject(t, undefined, { check: { rules: { 'drop-colum': 'off' } } })
  project.sql('c1', { up: 'CREATE TABLE t (a int);' })
  const unknownRule = await project.cli(['check', '--offline'])
  assert.equal(unknownRule.code, 2)
  assert.match(unknownRule.stderr, /check\.rules: unknown rule "drop-colum"\. Did you mean "drop-column"\?/)
  assert.doesNotMatch(unknownRule.stderr, /at .*\.js:\d+/, 'no stack trace')

  const clean = testProject(t)
  clean.sql('c1', { up: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUM b int;' })
  // The migration after the broken one is still analysed: one typo does not hide the rest.
  clean.sql('c2', { down: 'c1', up: 'ALTER TABLE t DROP COLUMN a;' })
  const syntax = await clean.cli(['check', '--offline'])
  assert.equal(syntax.code, 2)
  assert.match(syntax.stderr, /^error: syntax error at or near "int"\n {2}at: .*c1_m\.sql:6\n/)
  assert.match(syntax.stdout, /c2 .*\n.*breaking/)
  assert.match(syntax.stdout, /drop-column/)
  assert.match(
    syntax.stdout,
    /1 migration checked: \d+ errors?, .*; 1 migration not analysed: c1 cannot be read \(below\)/,
  )
  const syntaxJson = await clean.cli(['check', '--offline', '--format', 'json'])
  assert.equal(syntaxJson.code, 2)
  const syntaxReport = JSON.parse(syntaxJson.stdout)
  assert.deepEqual(
    syntaxReport.migrations.map((m: { revision: string }) => m.revision),
    ['c2'],
  )
  assert.equal(syntaxReport.unreadable[0].id, 'c1')
  assert.match(syntaxReport.unreadable[0].where, /c1_m\.sql:6$/)
  const sarif = JSON.parse((await clean.cli(['check', '--offline', '--format', 'sarif'])).stdout)
  const unreadableResult = sarif.runs[0].results.find(
    (r: { ruleId: string }) => r.ruleId === 'unreadable-migration',
  )
  assert.equal(unreadableResult.level, 'error')
  assert.equal(unreadableResult.locations[0].physicalLocation.region.startLine, 6)
  // Two files given, one broken: the other's findings, and exit 2.
  const files = await clean.cli([
    'check',
    join(clean.dir, 'migrations/versions/c1_m.sql'),
    join(clean.dir, 'migrations/versions/c2_m.sql'),
  ])
  assert.equal(files.code, 2)
  assert.match(files.stdout, /drop-column/)

  const missing = await clean.cli(['check', 'nope.sql'])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /cannot read nope\.sql: no such file/)

  const format = await clean.cli(['check', '--format', 'xml'])
  assert.equal(format.code, 2)
  assert.match(format.stderr, /--format must be human, json, sarif, github, gitlab or markdown/)

  const version = await clean.cli(['check', '--pg-version', 'sixteen'])
  assert.equal(version.code, 2)

  // A psql script's variable, given as psql -v would give it; then the same mistakes.
  writeFileSync(join(clean.dir, 'deploy.sql'), 'CREATE TABLE :schema.events (id bigint);\n')
  const unset = await clean.cli(['check', 'deploy.sql'])
  assert.equal(unset.code, 2)
  assert.match(unset.stderr, /hint: :schema is a psql variable the script does not \\set/)
  const given = await clean.cli(['check', '--set', 'schema=app', '--format', 'json', 'deploy.sql'])
  assert.equal(given.code, 0, given.stderr)
  assert.equal(
    JSON.parse(given.stdout).migrations[0].statements[0].sql,
    'CREATE TABLE app.events (id bigint)',
  )
  const malformed = await clean.cli(['check', '--set', 'schema', 'deploy.sql'])
  assert.equal(malformed.code, 2)
  assert.match(malformed.stderr, /--set expects KEY=VALUE, got "schema"/)
})

test('a directory argument stands for its SQL and migration files, in path order; an empty one is bad input, an empty file holds nothing to find', async (t) => {
  const project = testProject(t)
  const dir = join(project.dir, 'db', 'migrations')
  mkdirSync(join(dir, 'nested'), { recursive: true })
  writeFileSync(join(dir, '002_index.sql'), 'CREATE INDEX ON users (email);\n')
  writeFileSync(join(dir, '001_users.sql'), 'ALTER TABLE users ADD COLUMN email text;\n')
  writeFileSync(join(dir, 'nested', '003_drop.sql'), 'ALTER TABLE users DROP COLUMN nickname;\n')
  writeFileSync(join(dir, 'README.md'), '# not SQL\n')
  const result = await project.cli(['check', '--format', 'json', 'db/migrations'])
  assert.equal(result.code, 1, result.stderr)
  const report = JSON.parse(result.stdout)
  assert.deepEqual(
    report.migrations.map((migration: { file: string }) => migration.file.replace(/^.*db\/migrations\//, '')),
    ['001_users.sql', '002_index.sql', 'nested/003_drop.sql'],
  )
  // An index without a name is described without a blank where the name would be.
  const index = report.migrations[1]
  assert.match(index.classification.reason, /creates an index on users/)
  assert.ok(
    index.findings.some((finding: { message: string }) =>
      finding.message.startsWith('builds an index on users under a SHARE lock'),
    ),
  )
  mkdirSync(join(project.dir, 'empty'))
  const empty = await project.cli(['check', 'empty'])
  assert.equal(empty.code, 2)
  assert.match(empty.stderr, /empty holds no \.sql, \.ts or \.js file to check/)
  // An empty file holds no statement, as for psql: nothing to find, not a parse error.
  writeFileSync(join(project.dir, 'empty.sql'), '')
  const emptyFile = await project.cli(['check', 'empty.sql'])
  assert.equal(emptyFile.code, 0, emptyFile.stdout + emptyFile.stderr)
  assert.match(
    emptyFile.stdout,
    /empty\.sql\n {2}additive · downtime none · risk low\n {2}additive: changes nothing in the schema/,
  )
  assert.match(emptyFile.stdout, /1 migration checked: 0 errors, 0 warnings/)
  // A byte-order mark before the SQL (a Windows editor's) is not part of the first word.
  writeFileSync(join(project.dir, 'marked.sql'), '\uFEFFALTER TABLE users ADD COLUMN nickname text;\n')
  const marked = await project.cli(['check', 'marked.sql'])
  assert.doesNotMatch(marked.stdout + marked.stderr, /syntax error|cannot be read/)
  assert.match(marked.stdout, /adds column users\.nickname \(text\)/)
  // A file that cannot be read is named, and not called "nothing pending".
  writeFileSync(join(project.dir, 'broken.sql'), 'ALTER TABLE users ADD COLUMN;\n')
  const broken = await project.cli(['check', 'broken.sql'])
  assert.equal(broken.code, 2)
  assert.doesNotMatch(broken.stdout, /Nothing to check/)
  assert.match(broken.stdout, /0 migrations checked: .*1 migration not analysed: broken\.sql cannot be read/)
  // A binary file (a custom-format dump named by mistake) is no SQL: said, not a syntax error.
  writeFileSync(
    join(project.dir, 'backup.dump'),
    Buffer.from('PGDMP\u0001\u000e\u0000\u0004\u0008\u0001\u0001'),
  )
  const binary = await project.cli(['check', 'backup.dump'])
  assert.equal(binary.code, 2)
  assert.equal(
    binary.stderr,
    'error: backup.dump is not a text file (it holds NUL bytes), so it holds no SQL to check\n  hint: name SQL or migration files; a custom-format backup is read with `pg_restore -f - FILE`, which prints its SQL\n',
  )
  // A file saved as Windows-1252 is named where it stops being UTF-8, not checked as if fine.
  writeFileSync(
    join(project.dir, 'seed.sql'),
    Buffer.from("INSERT INTO users (email) VALUES ('jos\xe9');\n", 'latin1'),
  )
  const latin1 = await project.cli(['check', 'seed.sql'])
  assert.equal(latin1.code, 2)
  assert.match(
    latin1.stderr,
    /^error: seed\.sql:1:39: not UTF-8 \(byte 0xE9\): PostgreSQL refuses such bytes/,
  )
  assert.match(latin1.stderr, /hint: save the file as UTF-8/)
})

test('connected check: pending migrations only, real sizes and types, open transactions on the tables', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db, { check: { longTransactionSeconds: 0 } })
  project.sql('d1', { up: `${CREATE_USERS};`, downSql: 'DROP TABLE users;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  await db.query(
    "INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 5000) g",
  )
  await db.query('ANALYZE users')
  // Widening varchar(100) to varchar(200) is free; the database knows the old type.
  project.sql('d2', {
    down: 'd1',
    up: 'ALTER TABLE users ALTER COLUMN email TYPE varchar(200);\nALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    downSql: 'ALTER TABLE users DROP COLUMN token;',
  })
  // A transaction that holds a lock on users while the check runs.
  const holder = new pg.Client(toClientConfig(db.spec, false))
  holder.on('error', () => {}) // the database is dropped (connections terminated) when the test ends
  await holder.connect()
  await holder.query('BEGIN')
  await holder.query('SELECT count(*) FROM users')

  const result = await project.cli(['check', '--format', 'json'])
  const report = JSON.parse(result.stdout)
  assert.equal(report.mode, 'connected')
  assert.equal(report.selection, 'pending migrations')
  assert.deepEqual(
    report.migrations.map((m: { revision: string }) => m.revision),
    ['d2'],
    'd1 is applied already',
  )
  const d2 = report.migrations[0]
  const rules = d2.findings.map((f: { rule: string }) => f.rule)
  assert.ok(!rules.includes('column-type-change'), 'varchar(100) → varchar(200) is metadata only')
  assert.ok(rules.includes('volatile-default'))
  const volatile = d2.findings.find((f: { rule: string }) => f.rule === 'volatile-default')
  assert.match(volatile.message, /users: \d+(\.\d)? (kB|MB), ~5,000 rows/)
  assert.match(d2.tables[0].size, /~5,000 rows/)
  assert.ok(report.longTransactions.some((tx: { tables: string[] }) => tx.tables.includes('users')))

  const human = await project.cli(['check'])
  assert.equal(human.code, 1)
  assert.match(human.stdout, /Checked pending migrations \(connected, PostgreSQL 16\)/)
  assert.match(
    human.stdout,
    /type change users\.email from varchar\(100\) to varchar\(200\)|widens users\.email/,
  )
  assert.match(human.stdout, /Open transactions holding locks on these tables now/)
  // --pg-version wins over the server's version, and the header says both.
  const older = await project.cli(['check', '--pg-version', '10'])
  assert.match(
    older.stdout,
    /Checked pending migrations \(connected, PostgreSQL 10 as --pg-version asks; the server is PostgreSQL 16\)/,
  )
  await holder.end()
})

test('connected check names the views and generated columns a retyped column has, with the SQL that takes them down and up; the failed upgrade says the same', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('v1', {
    up: `${CREATE_USERS};
CREATE VIEW user_emails AS SELECT id, email FROM users;
ALTER TABLE users ADD COLUMN domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;`,
    downSql: 'DROP VIEW user_emails; DROP TABLE users;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  project.sql('v2', {
    down: 'v1',
    up: 'ALTER TABLE users ALTER COLUMN email TYPE text;',
    downSql: 'SELECT 1;',
  })

  const check = await project.cli(['check', '--format', 'json'])
  const finding = JSON.parse(check.stdout).migrations[0].findings.find(
    (f: { rule: string }) => f.rule === 'column-read-by-view',
  )
  assert.ok(finding, check.stdout)
  assert.match(
    finding.message,
    /^retypes users\.email, which generated column users\.domain, view user_emails read: PostgreSQL refuses it/,
  )
  assert.match(
    finding.fix,
    /^ALTER TABLE users DROP COLUMN domain;\nDROP VIEW user_emails;\nALTER TABLE users ALTER COLUMN email TYPE text;\nALTER TABLE users ADD COLUMN domain text GENERATED ALWAYS AS \(split_part\(\(email\)::text, '@'::text, 2\)\) STORED;\nCREATE VIEW user_emails AS\n/,
  )

  // While a session holds users exclusively, check answers at once (the views' and the
  // generated column's definitions would wait behind the lock: they are left out).
  const holder = new pg.Client(toClientConfig(db.spec, false))
  holder.on('error', () => {})
  await holder.connect()
  await holder.query('BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE')
  const locked = await project.cli(['check', '--format', 'json'])
  await holder.query('ROLLBACK')
  await holder.end()
  assert.equal(locked.code, 0, locked.stderr)
  assert.equal(JSON.parse(locked.stdout).mode, 'connected')
  assert.ok(
    !JSON.parse(locked.stdout).migrations[0].findings.some(
      (f: { rule: string }) => f.rule === 'column-read-by-view',
    ),
  )

  // Run as it is, it fails as check said, and the hint says what to do.
  const upgrade = await project.cli(['upgrade', 'head'])
  assert.equal(upgrade.code, 1)
  assert.match(upgrade.stderr, /cannot alter type of a column used by a (view or rule|generated column)/)
  assert.match(
    upgrade.stderr,
    /hint: drop the (view|generated column) \(the detail names it\) first in this migration and (make|add) it again after the change/,
  )

  // Written as the fix says, it runs, and check has nothing more to say of it.
  project.sql('v2', { down: 'v1', up: finding.fix.replace(/^--.*$/m, ''), downSql: 'SELECT 1;' })
  const fixed = await project.cli(['check', '--format', 'json'])
  assert.ok(
    !JSON.parse(fixed.stdout).migrations[0].findings.some(
      (f: { rule: string }) => f.rule === 'column-read-by-view',
    ),
  )
  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(
    await db.one(
      "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'user_emails'::regclass AND attname = 'email'",
    ),
    { type: 'text' },
  )
})

test('TS migrations that read query results are analysed up to what can be known', async (t) => {
  const project = testProject(t)
  writeFileSync(
    join(project.versions, 'e1_m.ts'),
    `export const revision = 'e1'
export const downRevision = null
export async function upgrade(op) {
  const rows = await op.query('SELECT id FROM tenants')
  for (const row of rows) await op.execute('CREATE SCHEMA tenant_' + row.id)
  await op.execute('CREATE INDEX ix_users_email ON users (email)')
}
export async function downgrade(op) {}
`,
  )
  const result = await project.cli(['check', '--offline', '--format', 'json'])
  const migration = JSON.parse(result.stdout).migrations[0]
  assert.match(migration.unverifiable[0], /reads query results \(op\.query: SELECT id FROM tenants\)/)
  const rules = migration.findings.map((f: { rule: string }) => f.rule)
  assert.ok(rules.includes('unverifiable'))
  assert.ok(rules.includes('create-index-not-concurrently'), 'statements after the query are still analysed')
  assert.equal(migration.classification.risk, 'high')
})

test("SQL written out in a TypeScript migration is reported at its file's lines, by check and by a failed upgrade", async (t) => {
  const database = await createTestDatabase(t)
  const project = testProject(t, database)
  project.sql('a1', { up: 'CREATE TABLE t (id int);', downSql: 'DROP TABLE t;' })
  const source = (column: string) =>
    [
      "export const revision = 'b2'",
      "export const downRevision = 'a1'",
      'export async function upgrade(op) {',
      "  await op.execute('CREATE INDEX t_id ON t (id)')",
      '  await op.execute(`ALTER TABLE t',
      `    ADD COLUMN name text NOT NULL ${column}`,
      '  await op.createIndex(`t_name`, `t`, [`name`])',
      '}',
      '',
    ].join('\n')
  project.ts('b2', source("DEFALT ''`)"))
  const broken = await project.cli(['check'])
  assert.equal(broken.code, 2)
  assert.match(broken.stderr, /error: syntax error at or near "DEFALT"\n {2}at: .*b2_m\.ts:6\n/)
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(
    failed.stderr,
    /statement at .*b2_m\.ts:6 \(column 35\): ALTER TABLE t ADD COLUMN name text NOT NULL DEFALT/,
  )

  project.ts('b2', source("DEFAULT ''`)"))
  const checked = await project.cli(['check', '-r', 'a1:head', '--json'])
  const statements = JSON.parse(checked.stdout).migrations[0].statements as { line?: number; sql: string }[]
  // Lines for the SQL in the file, and for what op helpers build the line of their call.
  assert.deepEqual(
    statements.map((statement) => [statement.line, statement.sql.slice(0, 22)]),
    [
      [4, 'CREATE INDEX t_id ON t'],
      [5, 'ALTER TABLE t ADD COLU'],
      [7, 'CREATE INDEX "t_name" '],
    ],
  )
})

test('a file outside the working directory is named as given, not by a path climbing out of it', async (t) => {
  const project = testProject(t)
  const elsewhere = join(project.dir, 'elsewhere')
  mkdirSync(join(project.dir, 'inside'))
  mkdirSync(elsewhere)
  const file = join(elsewhere, 'drop-key.sql')
  writeFileSync(file, 'ALTER TABLE users DROP CONSTRAINT users_pkey;\n')
  const result = await runCli(['check', '--offline', file], { cwd: join(project.dir, 'inside') })
  assert.equal(result.code, 1)
  assert.match(result.stdout, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
  assert.doesNotMatch(result.stdout, /\.\.\//)
  assert.match(result.stdout, /error +drop-primary-key +line 1 +drops the primary key of users/)
})

test('what op.backfill commits before it must run twice: check asks for ifNotExists on the statements before it', async (t) => {
  const project = testProject(t)
  const migration = (ifNotExists: string) =>
    [
      "export const revision = 'bf1'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      `  await op.addColumn('users', { name: 'display_name', type: 'text' }${ifNotExists})`,
      "  await op.backfill({ table: 'users', set: { display_name: op.sql('email') }, where: 'display_name IS NULL' })",
      '}',
      "export async function downgrade(op: any) { await op.dropColumn('users', 'display_name') }",
      '',
    ].join('\n')
  project.ts('bf1', migration(''))
  const flagged = await project.cli(['check', '--offline'])
  assert.match(
    flagged.stdout,
    /warning +not-rerunnable +line 4 +adds column users\.display_name and is committed before the migration ends \(by the op call at line 5, which commits what came before it, as op\.backfill, op\.autocommit and the recipes using them do\)/,
  )
  assert.match(flagged.stdout, /TS: pass \{ ifNotExists: true \} to the op call that creates it/)
  project.ts('bf1', migration(', { ifNotExists: true }'))
  const accepted = await project.cli(['check', '--offline'])
  assert.doesNotMatch(accepted.stdout, /not-rerunnable/)
})

test("--changed-since checks what a branch adds or edits, with the earlier migrations as its schema; git's refusals are bad input", async (t) => {
  const project = testProject(t)
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], {
      cwd: project.dir,
      stdio: 'pipe',
    })
  project.sql('a1', {
    up: 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX ix_users_email ON users (email);',
    downSql: 'DROP TABLE users;',
  })
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-qm', 'release 1')
  const unchanged = await project.cli(['check', '--changed-since', 'main'])
  assert.equal(unchanged.code, 0, unchanged.stderr)
  assert.match(unchanged.stdout, /Nothing to check: no migration file changed since main\./)
  assert.doesNotMatch(unchanged.stderr, /checking every migration/)

  git('checkout', '-qb', 'feature')
  project.sql('a2', {
    down: 'a1',
    up: 'ALTER TABLE users ADD COLUMN phone text;',
    downSql: 'ALTER TABLE users DROP COLUMN phone;',
  })
  git('add', '-A')
  git('commit', '-qm', 'phone')
  // Not committed yet: checked too, as the pull request will hold it.
  project.sql('a3', {
    down: 'a2',
    up: 'CREATE INDEX ix_users_phone ON users (phone);',
    downSql: 'DROP INDEX ix_users_phone;',
  })
  const result = await project.cli(['check', '--changed-since', 'main', '--format', 'json'])
  assert.equal(result.code, 1, result.stderr)
  const report = JSON.parse(result.stdout)
  assert.equal(report.selection, 'migrations changed since main')
  assert.deepEqual(
    report.migrations.map((migration: { id: string }) => migration.id),
    ['a2', 'a3'],
    "a1's unconcurrent index is main's, not this branch's",
  )
  assert.ok(
    report.migrations[1].findings.some(
      (finding: { rule: string }) => finding.rule === 'create-index-not-concurrently',
    ),
  )

  // The same project reached through a symbolic link (as macOS's /tmp is): git names real paths.
  const link = `${project.dir}-link`
  symlinkSync(project.dir, link)
  t.after(() => rmSync(link, { force: true }))
  const linked = await runCli(['check', '--changed-since', 'main', '--format', 'json'], { cwd: link })
  assert.deepEqual(
    JSON.parse(linked.stdout).migrations.map((migration: { id: string }) => migration.id),
    ['a2', 'a3'],
  )

  // A migration of main only renamed on the branch (git mv, or a plain mv not yet added) is main's still.
  git('mv', 'migrations/versions/a1_m.sql', 'migrations/versions/a1_users.sql')
  const renamed = await project.cli(['check', '--changed-since', 'main', '--format', 'json'])
  assert.deepEqual(
    JSON.parse(renamed.stdout).migrations.map((migration: { id: string }) => migration.id),
    ['a2', 'a3'],
  )
  git('commit', '-qm', 'rename')
  renameSync(join(project.versions, 'a1_users.sql'), join(project.versions, 'a1_create_users.sql'))
  const moved = await project.cli(['check', '--changed-since', 'main', '--format', 'json'])
  assert.deepEqual(
    JSON.parse(moved.stdout).migrations.map((migration: { id: string }) => migration.id),
    ['a2', 'a3'],
  )
  // Renamed and edited: the branch's change, checked.
  appendFileSync(
    join(project.versions, 'a1_create_users.sql'),
    'CREATE INDEX ix_users_id_email ON users (id, email);\n',
  )
  const edited = await project.cli(['check', '--changed-since', 'main', '--format', 'json'])
  assert.deepEqual(
    JSON.parse(edited.stdout).migrations.map((migration: { id: string }) => migration.id),
    ['a1', 'a2', 'a3'],
  )

  const unknown = await project.cli(['check', '--changed-since', 'origin/main'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /^error: git does not know origin\/main here/)
  assert.match(unknown.stderr, /fetch-depth: 0/)
  const both = await project.cli(['check', '--changed-since', 'main', '-r', 'base:head'])
  assert.equal(both.code, 2)
  assert.match(both.stderr, /give one of files, -r A:B or --changed-since REF/)
  rmSync(join(project.dir, '.git'), { recursive: true, force: true })
  const noRepo = await project.cli(['check', '--changed-since', 'main'])
  assert.equal(noRepo.code, 2)
  assert.match(noRepo.stderr, /--changed-since needs a git repository: \S+ is not in one/)
})

test('multiple heads are a project finding', async (t) => {
  const project = testProject(t)
  project.sql('f1', { up: 'CREATE TABLE a (x int);', downSql: 'DROP TABLE a;' })
  project.sql('f2', { down: 'f1', up: 'CREATE TABLE b (x int);', downSql: 'DROP TABLE b;' })
  project.sql('f3', { down: 'f1', up: 'CREATE TABLE c (x int);', downSql: 'DROP TABLE c;' })
  const result = await project.cli(['check', '--offline'])
  assert.equal(result.code, 1)
  assert.match(result.stdout, /error +multiple-heads +the migrations have 2 heads: f2, f3/)
  assert.match(result.stdout, /strata merge -m "merge heads" f2 f3/)
})

test('connected, a foreign key added to existing columns is checked against the indexes the database has', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    'CREATE TABLE users (id bigint PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint)',
  )
  const project = testProject(t, db)
  project.sql('fk1', {
    up: 'ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
  })
  const rules = async (args: string[]) =>
    JSON.parse((await project.cli(['check', '--format', 'json', ...args])).stdout).migrations[0].findings.map(
      (finding: { rule: string }) => finding.rule,
    )
  assert.ok((await rules([])).includes('foreign-key-without-index'), 'no index on orders.user_id')
  assert.ok(
    !(await rules(['--offline'])).includes('foreign-key-without-index'),
    'offline: not known, not said',
  )
  await db.query('CREATE INDEX ix_orders_user_id ON orders (user_id, id)')
  assert.ok(!(await rules([])).includes('foreign-key-without-index'), 'an index leads with the column')
})

test('connected, dropping a primary key under any name is found, with the publications whose UPDATE and DELETE it breaks', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    `CREATE TABLE accounts (id bigint CONSTRAINT accounts_primary PRIMARY KEY, name text);
     CREATE TABLE notes (id bigint PRIMARY KEY, body text);
     ALTER TABLE notes REPLICA IDENTITY FULL;
     CREATE PUBLICATION app_changes FOR TABLE accounts, notes`,
  )
  const project = testProject(t, db)
  project.sql('pk1', {
    up: 'ALTER TABLE accounts DROP CONSTRAINT accounts_primary;\nALTER TABLE notes DROP CONSTRAINT notes_pkey;',
  })
  const report = async (args: string[]) =>
    JSON.parse((await project.cli(['check', '--format', 'json', ...args])).stdout).migrations[0]
  const findings = async (args: string[]) =>
    (await report(args)).findings
      .filter((finding: { rule: string }) => finding.rule === 'drop-primary-key')
      .map((finding: { message: string }) => finding.message)
  // The migration breaks the running release's upserts on accounts: that is its class.
  const { classification } = await report([])
  assert.equal(classification.class, 'breaking')
  assert.match(
    classification.reason,
    /^breaking: drops the primary key of accounts: INSERT \.\.\. ON CONFLICT/,
  )
  const connected = await findings([])
  assert.equal(connected.length, 2, connected.join('\n'))
  assert.match(
    connected[0],
    /drops the primary key of accounts: .*published \(app_changes\).* every UPDATE and DELETE of it fails/,
  )
  // notes replicates whole rows (REPLICA IDENTITY FULL): its publication does not need the key.
  assert.doesNotMatch(connected[1], /app_changes/)
  // Offline only PostgreSQL's default name is known to be a primary key.
  const offline = await findings(['--offline'])
  assert.equal(offline.length, 1)
  assert.match(offline[0], /drops the primary key of notes/)
  // What the finding says is what the server does.
  await db.query('ALTER TABLE accounts DROP CONSTRAINT accounts_primary')
  await assert.rejects(
    db.query("UPDATE accounts SET name = 'x'"),
    /does not have a replica identity and publishes updates/,
  )
})

test('connected, a small table never analysed is counted; one locked by a migration stays unknown', async (t) => {
  const db = await createTestDatabase(t)
  // No autovacuum: the planner keeps no estimate (reltuples -1), as for a fresh deployment's tables.
  await db.query(
    `CREATE TABLE users (id bigint PRIMARY KEY, email text) WITH (autovacuum_enabled = false);
     INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1234) g`,
  )
  const project = testProject(t, db)
  project.sql('c1', { up: 'ALTER TABLE users ADD COLUMN name text NOT NULL;' })
  const tableSize = async () =>
    JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0].tables[0].size

  assert.match(await tableSize(), /kB, 1,234 rows$/)

  // A session holding ACCESS EXCLUSIVE (a migration running): the count gives up after
  // its lock timeout instead of waiting behind it.
  const holder = new pg.Client(toClientConfig(db.spec, false))
  holder.on('error', () => {}) // the database is dropped (connections terminated) when the test ends
  await holder.connect()
  t.after(() => holder.end().catch(() => {}))
  await holder.query('BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE')
  const size = await tableSize()
  await holder.query('ROLLBACK')
  assert.match(size, /rows unknown: never analysed/)
})

test("connected, a larger table never analysed gets the planner's estimate from its size, said to be one", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(
    `CREATE TABLE events (id bigint, payload text) WITH (autovacuum_enabled = false);
     INSERT INTO events SELECT g, repeat('x', 60) FROM generate_series(1, 150000) g`,
  )
  const project = testProject(t, db)
  project.sql('c1', { up: 'ALTER TABLE events ALTER COLUMN payload SET NOT NULL;' })
  const report = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout)
  const size: string = report.migrations[0].tables[0].size
  const match = /MB, ~([\d,]+) rows \(never analysed: estimated from its size\)$/.exec(size)
  assert.ok(match, size)
  // Not counted (over 8 MB): the planner's guess from pages and column widths, near 150,000.
  const rows = Number(match[1]!.replace(/,/g, ''))
  assert.ok(rows > 50_000 && rows < 450_000, size)
  assert.equal((await db.one("SELECT reltuples FROM pg_class WHERE relname = 'events'")).reltuples, -1)
})

test('connected, a foreign key on a partitioned table locks and checks each partition, and its fix goes partition by partition', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`
    CREATE TABLE users (id bigint PRIMARY KEY);
    CREATE TABLE events (at int NOT NULL, user_id bigint) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20)`)
  const project = testProject(t, db)
  project.sql('f1', {
    up: 'ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id);',
  })
  const first = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0]
  assert.deepEqual(
    first.statements[0].locks.map((lock: { table: string; mode: string }) => `${lock.table} ${lock.mode}`),
    [
      'events SHARE ROW EXCLUSIVE',
      'users SHARE ROW EXCLUSIVE',
      'events_a SHARE ROW EXCLUSIVE',
      'events_b SHARE ROW EXCLUSIVE',
    ],
  )
  const finding = first.findings.find((f: { rule: string }) => f.rule === 'constraint-without-not-valid')
  assert.match(finding.message, /partitioned table events .* its 2 partition\(s\)/)
  assert.match(
    finding.fix,
    /^ALTER TABLE events_a ADD CONSTRAINT fk_events_user_events_a FOREIGN KEY \(user_id\) REFERENCES users \(id\) NOT VALID;/,
  )
  assert.match(finding.fix, /\nALTER TABLE events_b VALIDATE CONSTRAINT fk_events_user_events_b;/)
  assert.match(
    finding.fix,
    /\nALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY \(user_id\) REFERENCES users \(id\);/,
  )

  // NOT VALID on the partitioned table: PostgreSQL 16 refuses it.
  project.sql('f2', {
    down: 'f1',
    up: 'ALTER TABLE events ADD CONSTRAINT fk_events_user2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
  })
  const second = JSON.parse((await project.cli(['check', '--format', 'json', '-r', 'f1:f2'])).stdout)
    .migrations[0]
  assert.deepEqual(
    second.findings.map((f: { rule: string }) => f.rule).filter((rule: string) => rule.includes('not-valid')),
    ['not-valid-foreign-key-on-partitioned-table'],
  )
  // And it does refuse it: the migration fails on the server.
  const refused = await project.cli(['upgrade', 'f2'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /cannot add NOT VALID foreign key on partitioned table "events"/)
  assert.match(refused.stderr, /hint: before PostgreSQL 18 .* In TS op\.addForeignKeySafely does all of it/)

  // op.addForeignKeySafely goes partition by partition when it runs: nothing to refuse.
  project.ts(
    'f3',
    "export const revision = 'f3'\nexport const downRevision = 'f2'\nexport async function upgrade(op) {\n  await op.addForeignKeySafely('fk_events_user3', 'events', 'users', ['user_id'])\n}\n",
  )
  const third = JSON.parse((await project.cli(['check', '--format', 'json', '-r', 'f2:f3'])).stdout)
    .migrations[0]
  assert.equal(third.revision, 'f3')
  assert.deepEqual(
    third.findings
      .map((f: { rule: string }) => f.rule)
      .filter((rule: string) => rule.includes('not-valid') || rule.includes('partition')),
    [],
  )

  // Other ALTER TABLE work on a partitioned table happens in each partition, under the same lock.
  project.sql('f4', {
    down: 'f3',
    up: 'ALTER TABLE events ALTER COLUMN at TYPE bigint;\nALTER TABLE events ADD COLUMN coupon_id bigint REFERENCES users (id);',
  })
  const fourth = JSON.parse((await project.cli(['check', '--format', 'json', '-r', 'f3:f4'])).stdout)
    .migrations[0]
  const [retype, addColumn] = fourth.statements
  assert.deepEqual(
    retype.locks.map((lock: { table: string; mode: string }) => `${lock.table} ${lock.mode}`),
    ['events ACCESS EXCLUSIVE', 'events_a ACCESS EXCLUSIVE', 'events_b ACCESS EXCLUSIVE'],
  )
  assert.deepEqual(
    retype.rewrites.map((rewrite: string) => rewrite.split(':')[0]),
    ['events', 'events_a', 'events_b'],
  )
  assert.ok(addColumn.locks.some((lock: { table: string }) => lock.table === 'events_b'))
  const columnKey = fourth.findings.find(
    (f: { rule: string; line: number }) =>
      f.rule === 'constraint-without-not-valid' && f.line === addColumn.line,
  )
  assert.match(columnKey.fix, /^ALTER TABLE events ADD COLUMN coupon_id bigint;\n/)
  // Its index, too, is built partition by partition (CONCURRENTLY is refused on events).
  const keyIndex = fourth.findings.find(
    (f: { rule: string; line: number }) =>
      f.rule === 'foreign-key-without-index' && f.line === addColumn.line,
  )
  assert.match(keyIndex.fix, /^CREATE INDEX ix_events_coupon_id ON ONLY events \(coupon_id\);/)
  assert.match(
    keyIndex.fix,
    /\nCREATE INDEX CONCURRENTLY ix_events_coupon_id_events_b ON events_b \(coupon_id\);/,
  )
  assert.match(
    columnKey.fix,
    /\nALTER TABLE events_a ADD CONSTRAINT fk_events_coupon_id_events_a FOREIGN KEY \(coupon_id\) REFERENCES users \(id\) NOT VALID;/,
  )
  assert.match(
    columnKey.fix,
    /\nALTER TABLE events ADD CONSTRAINT fk_events_coupon_id FOREIGN KEY \(coupon_id\) REFERENCES users \(id\);/,
  )
})

test('connected, an index on a partitioned table gets the partition-by-partition recipe with its real partitions', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`
    CREATE TABLE events (at int NOT NULL, kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20)`)
  const project = testProject(t, db)
  project.sql('p1', { up: 'CREATE INDEX ix_events_kind ON events (kind);' })
  const report = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout)
  const [migration] = report.migrations
  assert.deepEqual(
    migration.statements[0].locks.map(
      (lock: { table: string; mode: string }) => `${lock.table} ${lock.mode}`,
    ),
    ['events SHARE', 'events_a SHARE', 'events_b SHARE'],
  )
  const finding = migration.findings.find((f: { rule: string }) => f.rule === 'create-index-not-concurrently')
  assert.match(finding.message, /on the partitioned table events and each of its partitions/)
  assert.match(finding.fix, /^CREATE INDEX ix_events_kind ON ONLY events \(kind\);/)
  assert.match(finding.fix, /\nCREATE INDEX CONCURRENTLY ix_events_kind_events_b ON events_b \(kind\);/)
  assert.match(finding.fix, /\nALTER INDEX ix_events_kind ATTACH PARTITION ix_events_kind_events_a;/)

  project.sql('p2', {
    down: 'p1',
    header: { transactional: 'false' },
    up: 'CREATE INDEX CONCURRENTLY ix_events_at ON events (at);\nCREATE INDEX ix_events_at2 ON ONLY events (at);',
  })
  const second = JSON.parse((await project.cli(['check', '--format', 'json', '-r', 'p1:p2'])).stdout)
    .migrations[0]
  const rules = second.findings.map((f: { rule: string; line: number }) => `${f.rule} ${f.line}`)
  assert.ok(
    rules.some((rule: string) => rule.startsWith('concurrently-on-partitioned-table')),
    rules.join(', '),
  )
  assert.ok(
    !rules.some((rule: string) => rule.startsWith('create-index-not-concurrently')),
    'ON ONLY builds nothing',
  )

  // op.createIndex builds partition by partition when it runs: nothing to refuse.
  project.ts(
    'p3',
    "export const revision = 'p3'\nexport const downRevision = 'p2'\nexport const transactional = false\nexport async function upgrade(op) {\n  await op.createIndex('ix_events_kind2', 'events', ['kind'], { concurrently: true })\n}\n",
  )
  const third = JSON.parse((await project.cli(['check', '--format', 'json', '-r', 'p2:p3'])).stdout)
    .migrations[0]
  assert.equal(third.revision, 'p3')
  assert.deepEqual(
    third.findings.map((f: { rule: string }) => f.rule).filter((rule: string) => rule.includes('partition')),
    [],
  )
})

test('the op recipe check offers for a type change passes check: its column swap in one transaction is not a breaking rename', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('s1', { up: 'ALTER TABLE users ALTER COLUMN age TYPE bigint;' })
  const plain = JSON.parse((await project.cli(['check', '--format', 'json', '--offline'])).stdout)
    .migrations[0]
  const fix = plain.findings.find((f: { rule: string }) => f.rule === 'column-type-change').fix
  assert.match(fix, /op\.changeColumnType\('users', 'age', 'bigint'/)

  project.ts(
    's2',
    "export const revision = 's2'\nexport const downRevision = 's1'\nexport async function upgrade(op) {\n  await op.changeColumnType('users', 'age', 'bigint')\n}\nexport async function downgrade(op) {\n  await op.revertColumnType('users', 'age', 'integer')\n}\n",
  )
  const result = await project.cli(['check', '--format', 'json', '--offline', '-r', 's1:s2'])
  const recipe = JSON.parse(result.stdout).migrations[0]
  assert.equal(recipe.revision, 's2')
  assert.deepEqual(
    recipe.findings
      .filter((f: { level: string }) => f.level === 'error')
      .map((f: { rule: string }) => f.rule),
    [],
  )
  assert.notEqual(recipe.classification.class, 'breaking')
  const swaps = recipe.statements.filter((s: { sql: string }) => /RENAME COLUMN/.test(s.sql))
  assert.equal(swaps.length, 2)
  assert.equal(result.code, 0, result.stdout)
})

test("connected, the partitioned foreign key's fix passes check itself and runs: the last ADD adopts the partitions' keys", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`
    CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users VALUES (1);
    CREATE TABLE events (at int NOT NULL, user_id bigint) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
    INSERT INTO events VALUES (1, 1), (11, 1)`)
  const project = testProject(t, db)
  project.sql('p1', {
    up: 'ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id);',
  })
  const probe = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0]
  const fix: string = probe.findings.find(
    (f: { rule: string }) => f.rule === 'constraint-without-not-valid',
  ).fix
  const recipe = fix
    .split('\n')
    .filter((line) => line.startsWith('ALTER TABLE'))
    .map((line) => line.split('  --')[0])
  assert.equal(recipe.length, 5)

  // The recipe as the migration, VALIDATEs in transactions of their own.
  project.sql('p1', { up: recipe.join('\n'), header: { transactional: 'false' } })
  const report = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0]
  const last = report.statements.at(-1)
  assert.deepEqual(last.scans, [])
  assert.ok(last.notes.some((note: string) => /adopts the validated keys of events's partitions/.test(note)))
  assert.ok(
    last.locks.some(
      (lock: { table: string; mode: string }) => lock.table === 'users' && lock.mode === 'ACCESS EXCLUSIVE',
    ),
  )
  assert.deepEqual(
    report.findings
      .filter(
        (f: { rule: string }) => f.rule === 'constraint-without-not-valid' || f.rule.includes('partitioned'),
      )
      .map((f: { rule: string; line: number }) => `${f.rule} ${f.line}`),
    [],
  )

  const applied = await project.cli(['upgrade', 'head'])
  assert.equal(applied.code, 0, applied.stderr)
  const keys = await db.query(
    `SELECT c.conrelid::regclass::text AS t, p.conname AS parent FROM pg_constraint c
       LEFT JOIN pg_constraint p ON p.oid = c.conparentid WHERE c.contype = 'f' ORDER BY 1`,
  )
  assert.deepEqual(
    keys.rows.map((k) => `${k.t} < ${k.parent}`),
    ['events < null', 'events_a < fk_events_user', 'events_b < fk_events_user'],
  )
})

test("connected, a unique constraint on a partitioned table: each partition's first, and the fix passes check and runs", async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`
    CREATE TABLE events (id bigint NOT NULL, at int NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
    CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
    INSERT INTO events VALUES (1, 1), (2, 11)`)
  const project = testProject(t, db)
  project.sql('u1', { up: 'ALTER TABLE events ADD CONSTRAINT uq_events_id_at UNIQUE (id, at);' })
  const probe = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0]
  assert.deepEqual(
    probe.statements[0].locks.map((lock: { table: string; mode: string }) => `${lock.table} ${lock.mode}`),
    ['events ACCESS EXCLUSIVE', 'events_a SHARE', 'events_b SHARE'],
  )
  const finding = probe.findings.find((f: { rule: string }) => f.rule === 'unique-without-using-index')
  assert.match(finding.message, /to the partitioned table events: the index of each of its 2 partition\(s\)/)
  const recipe = finding.fix.split('\n').map((line: string) => line.split('  --')[0])
  assert.deepEqual(recipe, [
    'CREATE UNIQUE INDEX CONCURRENTLY uq_events_id_at_events_a ON events_a (id, at);',
    'ALTER TABLE events_a ADD CONSTRAINT uq_events_id_at_events_a UNIQUE USING INDEX uq_events_id_at_events_a;',
    'CREATE UNIQUE INDEX CONCURRENTLY uq_events_id_at_events_b ON events_b (id, at);',
    'ALTER TABLE events_b ADD CONSTRAINT uq_events_id_at_events_b UNIQUE USING INDEX uq_events_id_at_events_b;',
    'ALTER TABLE events ADD CONSTRAINT uq_events_id_at UNIQUE (id, at);',
  ])

  project.sql('u1', { up: recipe.join('\n'), header: { transactional: 'false' } })
  const report = JSON.parse((await project.cli(['check', '--format', 'json'])).stdout).migrations[0]
  assert.deepEqual(report.statements.at(-1).indexBuilds, [])
  assert.ok(report.findings.every((f: { rule: string }) => f.rule !== 'unique-without-using-index'))
  const applied = await project.cli(['upgrade', 'head'])
  assert.equal(applied.code, 0, applied.stderr)
  const constraints = await db.query(
    `SELECT c.conrelid::regclass::text AS t, p.conname AS parent FROM pg_constraint c
       LEFT JOIN pg_constraint p ON p.oid = c.conparentid
      WHERE c.contype = 'u' AND c.connamespace = 'public'::regnamespace ORDER BY 1`,
  )
  assert.deepEqual(
    constraints.rows.map((row) => `${row.t} < ${row.parent}`),
    ['events < null', 'events_a < uq_events_id_at', 'events_b < uq_events_id_at'],
  )
})

test("check shows a recipe's re-run guard as such: a first run takes no ACCESS EXCLUSIVE lock there", async (t) => {
  const project = testProject(t)
  project.ts(
    'g1',
    "export const revision = 'g1'\nexport const downRevision = null\nexport async function upgrade(op) {\n  await op.addForeignKeySafely('fk_orders_user', 'orders', 'users', ['user_id'])\n}\nexport async function downgrade(op) {\n  await op.dropConstraint('fk_orders_user', 'orders')\n}\n",
  )
  const report = JSON.parse((await project.cli(['check', '--offline', '--format', 'json'])).stdout)
    .migrations[0]
  const [guard] = report.statements
  assert.match(guard.sql, /DROP CONSTRAINT IF EXISTS "fk_orders_user"/)
  assert.deepEqual(guard.notes, [
    'run online only when fk_orders_user is there (a re-run): a first run takes no lock here',
  ])
  const human = await project.cli(['check', '--offline'])
  assert.match(
    human.stdout,
    /DROP CONSTRAINT IF EXISTS .*ACCESS EXCLUSIVE +orders +reads, writes, DDL +re-run only/,
  )
})

test('check -r on migrations the database already has analyses them from the files, not from the changed tables', async (t) => {
  const db = await createTestDatabase(t)
  const project = testProject(t, db)
  project.sql('k1', {
    up: 'CREATE TABLE tokens (id int PRIMARY KEY, token text);',
    downSql: 'DROP TABLE tokens;',
  })
  project.sql('k2', {
    down: 'k1',
    up: 'ALTER TABLE tokens ALTER COLUMN token TYPE varchar(64);',
    downSql: 'ALTER TABLE tokens ALTER COLUMN token TYPE text;',
  })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  const result = await project.cli(['check', '-r', 'k1:head'])
  assert.match(
    result.stdout,
    /the database already has k2: the range is analysed from the migration files, as offline \(no table sizes\)/,
  )
  assert.match(result.stdout, /tokens\.token from text to varchar\(64\)/)
  assert.match(result.stdout, /^Checked range k1:head \(offline, PostgreSQL 16\)/)
  const json = JSON.parse((await project.cli(['check', '-r', 'k1:head', '--format', 'json'])).stdout)
  assert.equal(json.mode, 'offline')
  assert.equal(json.serverVersion, 16)
  // Not yet applied: connected, with the database's own tables.
  assert.equal((await project.cli(['downgrade', 'k1', '--no-backup'])).code, 0)
  const pending = JSON.parse((await project.cli(['check', '-r', 'k1:head', '--format', 'json'])).stdout)
  assert.equal(pending.mode, 'connected')
  assert.deepEqual(pending.notes, [])
})

test("Prisma's migration.sql files are checked as Prisma Migrate runs them: the file as one transaction, its own BEGIN as written", async (t) => {
  const project = testProject(t)
  const prisma = join(project.dir, 'prisma', 'migrations')
  const write = (name: string, sql: string) => {
    mkdirSync(join(prisma, name), { recursive: true })
    writeFileSync(join(prisma, name, 'migration.sql'), sql)
  }
  mkdirSync(prisma, { recursive: true })
  writeFileSync(join(prisma, '..', 'schema.prisma'), '')
  writeFileSync(join(prisma, 'migration_lock.toml'), 'provider = "postgresql"\n')
  write(
    '20240201000000_enum',
    '-- AlterEnum\nBEGIN;\nCREATE TYPE "Role_new" AS ENUM (\'A\', \'B\');\nALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\nCOMMIT;\n',
  )
  // Alone, PostgreSQL runs it outside a transaction; beside other statements it fails.
  write('20240301000000_idx', 'CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");\n')
  write(
    '20240401000000_add',
    '-- AlterTable\nALTER TABLE "User" ADD COLUMN "name" TEXT;\nUPDATE "User" SET "name" = "email";\nCREATE INDEX CONCURRENTLY "User_x_idx" ON "User"("name");\n',
  )
  const result = await project.cli(['check', '--format', 'json', 'prisma/migrations'])
  assert.equal(result.code, 1, result.stderr)
  const reports = JSON.parse(result.stdout).migrations
  const rules = (index: number) =>
    reports[index].findings.map(
      (finding: { rule: string; line: number }) => `${finding.rule}@${finding.line}`,
    )
  assert.deepEqual(
    reports.map((report: { title: string }) => report.title),
    ['20240201000000_enum (Prisma)', '20240301000000_idx (Prisma)', '20240401000000_add (Prisma)'],
  )
  assert.ok(!rules(0).some((rule: string) => rule.startsWith('transaction-control')), rules(0).join(' '))
  assert.ok(!rules(1).includes('concurrently-in-transaction@1'), rules(1).join(' '))
  assert.ok(rules(2).includes('concurrently-in-transaction@4'), rules(2).join(' '))
  assert.ok(rules(2).includes('lock-held-too-long@3'), 'the UPDATE runs under the ADD COLUMN lock')
})
