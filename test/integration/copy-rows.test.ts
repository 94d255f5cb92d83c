import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'

/** The rows of `countries`, as text, in code order. */
async function countries(db: TestDatabase): Promise<string[]> {
  const result = await db.query<{ row: string }>(
    "SELECT code || '|' || coalesce(name, 'NULL') || '|' || coalesce(population::text, 'NULL') AS row FROM countries ORDER BY code",
  )
  return result.rows.map((row) => row.row)
}

// The up section of a seed migration as pg_dump writes its data: COPY ... FROM stdin,
// tab-separated rows (a tab and a backslash escaped, \N for NULL), `\.`; and CSV.
const SEED = [
  'CREATE TABLE countries (code text PRIMARY KEY, name text, population bigint);',
  'COPY countries (code, name, population) FROM stdin;',
  'de\tGermany\t83000000',
  'fr\tFrance; "la" R\\\\publique\t\\N',
  '\\.',
  'COPY countries FROM stdin WITH (FORMAT csv);',
  'it,"Italy, Republic of",59000000',
  '\\.',
].join('\n')

const EXPECTED = ['de|Germany|83000000', 'fr|France; "la" R\\publique|NULL', 'it|Italy, Republic of|59000000']

test("an SQL migration's COPY ... FROM stdin rows load online, render into the --sql script psql runs, and are checked as a load", async (t) => {
  const online = await createTestDatabase(t)
  const project = testProject(t, online)
  project.sql('aaa111', { message: 'seed countries', up: SEED, downSql: 'DROP TABLE countries;' })

  const checked = await project.cli(['check', '--offline', '--format', 'json'])
  const statements = JSON.parse(checked.stdout).migrations[0].statements
  assert.deepEqual(
    statements.map((s: { line: number; locks: { mode: string }[] }) => [s.line, s.locks.map((l) => l.mode)]),
    [
      [5, []],
      [6, ['ROW EXCLUSIVE']],
      [10, ['ROW EXCLUSIVE']],
    ],
    'the COPY statements are analysed, their rows are not',
  )

  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.deepEqual(await countries(online), EXPECTED)

  const offline = await createTestDatabase(t)
  const script = await project.cli(['upgrade', 'head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  assert.ok(
    script.stdout.includes('COPY countries (code, name, population) FROM stdin;\nde\tGermany\t83000000\n'),
  )
  runWithPsql(offline.url, script.stdout)
  assert.deepEqual(await countries(offline), EXPECTED)
})

test('a row COPY refuses fails the migration naming its line in the file; nothing of the migration stays', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE countries (code text PRIMARY KEY, name text, population bigint)')
  const project = testProject(t, db)
  project.sql('aaa111', {
    up: [
      "INSERT INTO countries VALUES ('es', 'Spain', 48000000);",
      'COPY countries (code, name, population) FROM stdin;',
      'pt\tPortugal\t10000000',
      'nl\tNetherlands\tmany',
      '\\.',
    ].join('\n'),
  })
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1)
  assert.match(
    failed.stderr,
    /ERROR 22P02: invalid input syntax for type bigint: "many"\n {2}statement at \S+aaa111_m\.sql:6: COPY countries \(code, name, population\) FROM stdin; the row at \S+aaa111_m\.sql:8 \(column population\)\n {2}rolled back/,
  )
  assert.deepEqual(await countries(db), [], 'the INSERT before it rolled back with it')
})

test('op.copyFrom loads rows from a TypeScript migration, and refuses a statement that is not COPY FROM STDIN', async (t) => {
  const db = await createTestDatabase(t)
  await db.query('CREATE TABLE countries (code text PRIMARY KEY, name text, population bigint)')
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    [
      "export const revision = 'aaa111'",
      'export const downRevision = null',
      'export async function upgrade(op: any) {',
      "  const rows = [['de', 'Germany', 83000000], ['fr', 'France', null]]",
      "    .map((row) => row.map((value) => (value === null ? '\\\\N' : String(value))).join('\\t')).join('\\n')",
      "  const loaded = await op.copyFrom('COPY countries (code, name, population) FROM STDIN', rows)",
      '  if (loaded !== 2) throw new Error(`loaded ${loaded}`)',
      '}',
      '',
    ].join('\n'),
  )
  const up = await project.cli(['upgrade', 'head'])
  assert.equal(up.code, 0, up.stderr)
  assert.deepEqual(await countries(db), ['de|Germany|83000000', 'fr|France|NULL'])

  project.ts(
    'bbb222',
    [
      "export const revision = 'bbb222'",
      "export const downRevision = 'aaa111'",
      'export async function upgrade(op: any) {',
      "  await op.copyFrom('INSERT INTO countries VALUES ($1)', 'x')",
      '}',
      '',
    ].join('\n'),
  )
  const refused = await project.cli(['upgrade', 'head'])
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /copyFrom: the statement must be COPY \.\.\. FROM STDIN, found the string "INSERT INTO/,
  )
})
