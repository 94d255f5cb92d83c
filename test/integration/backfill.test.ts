import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.js'
import { upgrade } from '../../src/runner/migrate.js'
import { CLI } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { runWithPsql } from '../helpers/psql.js'
import { startWriter } from '../helpers/writer.js'

const BACKFILL = (options: string) => `export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.addColumn('users', { name: 'new_column', type: 'text' }, { ifNotExists: true })
  await op.backfill({ table: 'users', set: { new_column: op.sql('upper(old_column)') }, where: 'new_column IS NULL AND old_column IS NOT NULL', ${options} })
}
export async function downgrade(op) { await op.dropColumn('users', 'new_column') }
`

async function seed(db: TestDatabase, rows: number) {
  await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, old_column text, touched int DEFAULT 0);
    INSERT INTO users (id, old_column) SELECT g, 'name-' || g FROM generate_series(1, ${rows}) g`)
}

/**
 * An application writing during the migration: it updates rows and inserts new ones.
 * As in the guide's Phase 2, the deployed code already writes both columns; rows that
 * kept arriving without the new column would rightly fail the final check.
 */
function writer(db: TestDatabase) {
  return startWriter(db, (index) =>
    index % 2 === 0
      ? ['UPDATE users SET touched = touched + 1 WHERE id = $1', [1 + ((index * 7919) % 20_000)]]
      : [
          'INSERT INTO users (id, old_column, new_column) VALUES ($1, $2, upper($2))',
          [1_000_000 + index, `late-${index}`],
        ],
  )
}

test('a backfill pages by key in short transactions while the application writes; no write lost, every row done', async (t) => {
  const db = await createTestDatabase(t)
  await seed(db, 20_000)
  // The expand phase already added the column, and the deployed code writes it.
  await db.query('ALTER TABLE users ADD COLUMN new_column text')
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', BACKFILL('batchSize: 1000'))
  const app = writer(db)
  const result = await project.cli(['upgrade', 'head'])
  const load = await app.stop()
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(load.errors, [])
  assert.ok(load.writes > 0)
  assert.match(result.stderr, /backfill users\.new_column: 100% [\d,]+\/[\d,]+ rows, [\d,]+ rows\/s, done in/)
  // Rows inserted by the writer after the backfill finished still have NULL: the check is on what existed.
  const wrong = await db.one(
    'SELECT count(*)::int AS n FROM users WHERE id < 1000000 AND new_column IS DISTINCT FROM upper(old_column)',
  )
  assert.equal(wrong.n, 0, 'every original row was backfilled with the right value')
  const touched = await db.one('SELECT sum(touched)::int AS n FROM users')
  assert.ok(touched.n > 0, 'the writer updates survived')
  const checkpoint = await db.one(
    "SELECT rows_done, finished_at IS NOT NULL AS finished FROM strata_backfill WHERE id = 'bbb222:users.new_column'",
  )
  assert.equal(checkpoint.finished, true)
  assert.ok(Number(checkpoint.rows_done) >= 20_000)
  // The planner knows the column is filled now: analysed after the backfill, not left
  // saying "all NULL" until autovacuum comes by.
  const stats = await db.one(
    "SELECT null_frac::float8 AS null_frac FROM pg_stats WHERE tablename = 'users' AND attname = 'new_column'",
  )
  assert.ok(stats.null_frac < 0.01, `null_frac ${stats.null_frac}`)
})

test('migrations before a backfill are reported done before it starts, not after it, as they committed', async (t) => {
  const db = await createTestDatabase(t)
  await seed(db, 3_000)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'CREATE TABLE audit (id int);', downSql: 'DROP TABLE audit;' })
  project.ts('bbb222', BACKFILL('batchSize: 1000'))
  const config = await loadConfig({ file: join(project.dir, 'strata.config.json') })
  const events: string[] = []
  await upgrade(
    {
      config,
      spec: db.spec,
      onStep: (event) => {
        if (event.kind === 'done') events.push(`done ${event.step.revision}`)
      },
      onProgress: (progress) => events.push(`backfill ${progress.done}/${progress.total}`),
    },
    'head',
  )
  const firstBatch = events.findIndex((event) => event.startsWith('backfill'))
  assert.ok(firstBatch > 0, events.join('; '))
  assert.equal(events.indexOf('done aaa111'), 0, `reported before the backfill: ${events.join('; ')}`)
  assert.equal(events.at(-1), 'done bbb222')
})

test('an interrupted backfill resumes from its checkpoint', { timeout: 60_000 }, async (t) => {
  const db = await createTestDatabase(t)
  await seed(db, 20_000)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', `export const transactional = false\n${BACKFILL('batchSize: 200, pauseMs: 50')}`)
  const child = spawn(process.execPath, [CLI, 'upgrade', 'head'], {
    cwd: project.dir,
    env: { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' },
  })
  // Kill it once the checkpoint shows progress, whatever the machine's speed.
  for (let waited = 0; waited < 30_000; waited += 100) {
    const progress = await db
      .query("SELECT rows_done FROM strata_backfill WHERE id = 'bbb222:users.new_column'")
      .catch(() => ({ rows: [] }))
    if (Number(progress.rows[0]?.rows_done ?? 0) >= 1000) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('close', resolve))
  const saved = await db.one(
    "SELECT rows_done, finished_at FROM strata_backfill WHERE id = 'bbb222:users.new_column'",
  )
  assert.ok(
    Number(saved.rows_done) > 0 && Number(saved.rows_done) < 6000,
    `the kill came mid-way (${saved.rows_done} rows done)`,
  )
  assert.equal(saved.finished_at, null)

  const again = await project.cli(['upgrade', 'head'])
  assert.equal(again.code, 0, again.stderr)
  const firstLine = /backfill users\.new_column: \d+% ([\d,]+)\//.exec(again.stderr)
  assert.ok(
    firstLine && Number(firstLine[1]!.replace(/,/g, '')) > Number(saved.rows_done),
    'the second run started from the saved count',
  )
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM users WHERE new_column IS DISTINCT FROM upper(old_column)'))
      .n,
    0,
  )
})

test('a backfill failing mid-way keeps what came before it; the re-run that meets it is told which statements must run twice', async (t) => {
  const db = await createTestDatabase(t)
  await seed(db, 10)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  const migration = (set: string, ifNotExists: string) => `export const revision = 'bbb222'
export const downRevision = 'aaa111'
export async function upgrade(op) {
  await op.addColumn('users', { name: 'ratio', type: 'numeric' }${ifNotExists})
  await op.backfill({ table: 'users', set: { ratio: op.sql('${set}') }, where: 'ratio IS NULL' })
}
export async function downgrade(op) { await op.dropColumn('users', 'ratio') }
`
  // Row 3 divides by zero: the backfill fails after the column was committed.
  project.ts('bbb222', migration('1.0 / (id - 3)', ''))
  const failed = await project.cli(['upgrade', 'head'])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /division by zero/)
  assert.match(
    failed.stderr,
    /rolled back to bbb222's last commit: what op\.autocommit committed before the failure stays \(op\.backfill and the recipes commit as they go, and resume from there when run again; the migration's own statements before them run again too, so they must run twice\)/,
  )
  assert.equal(
    (await db.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'ratio'")).rowCount,
    1,
  )
  // The expression fixed, the column not: the re-run meets the column.
  project.ts('bbb222', migration('1.0 / id', ''))
  const rerun = await project.cli(['upgrade', 'head'])
  assert.equal(rerun.code, 1, rerun.stderr)
  assert.match(rerun.stderr, /ERROR 42701: column "ratio" of relation "users" already exists/)
  assert.match(
    rerun.stderr,
    /hint: an earlier run of bbb222 failed \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) after committing what came before its op\.backfill, op\.autocommit or recipe call, and the re-run meets it\. Write those statements to run twice \(TS: \{ ifNotExists: true \}; SQL: IF NOT EXISTS\)/,
  )
  project.ts('bbb222', migration('1.0 / id', ', { ifNotExists: true }'))
  const done = await project.cli(['upgrade', 'head'])
  assert.equal(done.code, 0, done.stderr)
  assert.equal((await db.one('SELECT count(*)::int AS n FROM users WHERE ratio IS NULL')).n, 0)
})

test('composite keys page correctly; a table without a key is refused with the fix', async (t) => {
  const db = await createTestDatabase(t)
  await db.query(`CREATE TABLE events (tenant int, seq int, payload text, copy text, PRIMARY KEY (tenant, seq));
    INSERT INTO events SELECT t, s, 'p' || t || '-' || s, NULL FROM generate_series(1, 7) t, generate_series(1, 300) s;
`)
  const project = testProject(t, db)
  project.ts(
    'aaa111',
    "export const revision = 'aaa111'\nexport async function upgrade(op) {\n  await op.backfill({ table: 'events', set: { copy: op.sql('payload') }, where: 'copy IS NULL', batchSize: 64 })\n}\n",
  )
  const ok = await project.cli(['upgrade', 'head'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM events WHERE copy IS DISTINCT FROM payload')).n,
    0,
  )

  const other = await createTestDatabase(t)
  await other.query("CREATE TABLE loose (payload text, copy text); INSERT INTO loose VALUES ('x', NULL)")
  const refused = testProject(t, other)
  refused.ts(
    'bbb222',
    "export const revision = 'bbb222'\nexport async function upgrade(op) {\n  await op.backfill({ table: 'loose', set: { copy: op.sql('payload') }, where: 'copy IS NULL' })\n}\n",
  )
  const result = await refused.cli(['upgrade', 'bbb222'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /backfill on loose needs a key to page by, and the table has no primary key/)
  assert.match(result.stderr, /pass `key: \['column', \.\.\.\]`/)
})

test('offline, a backfill renders as a DO block that commits each batch and does the same work', async (t) => {
  const db = await createTestDatabase(t)
  await seed(db, 2_500)
  const project = testProject(t, db)
  project.sql('aaa111', { up: 'SELECT 1;' })
  project.ts('bbb222', BACKFILL("batchSize: 300, maxReplicaLagMb: 64, replicaLagTimeout: '30s'"))
  const script = await project.cli(['upgrade', 'aaa111:head', '--sql'])
  assert.equal(script.code, 0, script.stderr)
  assert.match(
    script.stdout,
    /DO \$strata_backfill\$[\s\S]*COMMIT;[\s\S]*EXIT WHEN scanned IS NULL OR scanned < 300;[\s\S]*\nANALYZE "users" \("new_column"\);\n/,
  )
  // The replica wait as online, run here on a server without replicas (the loop is skipped).
  assert.match(
    script.stdout,
    /\n {2}IF EXISTS \(SELECT 1 FROM pg_stat_replication WHERE state IS NULL\) THEN RAISE EXCEPTION/,
  )
  assert.match(
    script.stdout,
    /WHILE coalesce\(\(SELECT max\(lag\) FROM \(SELECT pg_wal_lsn_diff\(pg_current_wal_lsn\(\), replay_lsn\) AS lag FROM pg_stat_replication WHERE state IS DISTINCT FROM 'backup' UNION ALL SELECT pg_wal_lsn_diff\(pg_current_wal_lsn\(\), restart_lsn\) FROM pg_replication_slots WHERE NOT active AND restart_lsn IS NOT NULL\) AS lags\), 0\) > 67108864 LOOP\n {6}IF waited >= 30 THEN RAISE EXCEPTION/,
  )
  await db.query(
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('aaa111')",
  )
  runWithPsql(db.url, script.stdout)
  assert.equal(
    (await db.one('SELECT count(*)::int AS n FROM users WHERE new_column IS DISTINCT FROM upper(old_column)'))
      .n,
    0,
  )
})
