// Benchmark (issue 4): backfill 10 million rows on PostgreSQL 16 while a second
// connection runs a steady read/write load on the same table — strata's op.backfill
// against a single UPDATE (the throughput limit) — and the guide's OFFSET loop, as
// valid SQL, on growing tables to show how it grows.
//
// Run: npm run bench -- backfill   (options: --rows N --batch N --offset-rows a,b,c)
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startLoad } from './lib/load.js'
import { measureCommandAsync } from './lib/measure.js'
import { option } from './lib/options.js'
import { peers, requireBuiltStrata } from './lib/peers.js'
import { markdownTable, saveReport } from './lib/report.js'
import { startBenchServer } from './lib/server.js'

const ROWS = Number(option('rows', '10000000'))
const BATCH = Number(option('batch', '5000'))
const OFFSET_ROWS = option('offset-rows', '20000,40000,80000').split(',').map(Number)

async function createTable(client: pg.Client, name: string, rows: number) {
  await client.query(
    `CREATE TABLE ${name} (id bigint PRIMARY KEY, old_value integer NOT NULL, new_value integer, payload text)`,
  )
  await client.query(
    `INSERT INTO ${name} (id, old_value, payload) SELECT g, g % 1000, 'row ' || g FROM generate_series(1, ${rows}) g`,
  )
  await client.query(`VACUUM ANALYZE ${name}`)
}

const perSecond = (rows: number, ms: number) => Math.round((rows * 1000) / ms).toLocaleString('en-US')

async function main() {
  requireBuiltStrata()
  const server = await startBenchServer({ settings: { shared_buffers: '512MB', max_wal_size: '4GB' } })
  const url = await server.createDatabase('backfill_bench')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  console.error(`creating 2 × ${ROWS.toLocaleString('en-US')} rows ...`)
  await createTable(client, 'items_single', ROWS)
  await createTable(client, 'items_strata', ROWS)
  await client.query('CHECKPOINT')

  // The limit: one UPDATE of every row, under the same load.
  console.error('single UPDATE ...')
  let load = startLoad(url, 'items_single', ROWS)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  let started = performance.now()
  await client.query('UPDATE items_single SET new_value = old_value * 2 WHERE new_value IS NULL')
  const singleMs = performance.now() - started
  const singleLoad = await load.stop()
  await client.query('CHECKPOINT')

  // strata: a migration with op.backfill, run by the CLI as a user would.
  console.error('strata backfill ...')
  const project = mkdtempSync(join(tmpdir(), 'strata-bench-backfill-'))
  chmodSync(project, 0o755)
  mkdirSync(join(project, 'migrations', 'versions'), { recursive: true })
  writeFileSync(join(project, 'strata.config.json'), '{}')
  writeFileSync(
    join(project, 'migrations', 'versions', 'aaa111_backfill.ts'),
    `export const revision = 'aaa111'\nexport async function upgrade(op) {\n  await op.backfill({ table: 'items_strata', set: { new_value: op.sql('old_value * 2') }, where: 'new_value IS NULL', batchSize: ${BATCH} })\n}\n`,
  )
  load = startLoad(url, 'items_strata', ROWS)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const strata = await measureCommandAsync({
    command: peers.strata.command,
    args: [...peers.strata.args, 'upgrade', 'head', '-q'],
    cwd: project,
    env: { DATABASE_URL: url },
  })
  const strataLoad = await load.stop()
  rmSync(project, { recursive: true, force: true })
  const { rows } = await client.query(
    'SELECT count(*)::bigint AS n FROM items_strata WHERE new_value IS DISTINCT FROM old_value * 2',
  )
  if (Number(rows[0].n) !== 0) throw new Error(`strata left ${rows[0].n} rows not backfilled`)

  const strataMs = strata.wall * 1000
  const main = markdownTable(
    [
      'method',
      'rows',
      'time',
      'rows/s',
      'vs single UPDATE',
      'load queries',
      'load errors',
      'load p50',
      'load p99',
      'longest load wait',
    ],
    [
      [
        'single UPDATE (limit)',
        ROWS.toLocaleString('en-US'),
        `${(singleMs / 1000).toFixed(1)} s`,
        perSecond(ROWS, singleMs),
        '100%',
        String(singleLoad.queries),
        String(singleLoad.errors),
        `${singleLoad.p50Ms.toFixed(1)} ms`,
        `${singleLoad.p99Ms.toFixed(1)} ms`,
        `${Math.round(singleLoad.longestMs)} ms`,
      ],
      [
        `strata op.backfill (batch ${BATCH})`,
        ROWS.toLocaleString('en-US'),
        `${(strataMs / 1000).toFixed(1)} s`,
        perSecond(ROWS, strataMs),
        `${Math.round((singleMs / strataMs) * 100)}%`,
        String(strataLoad.queries),
        String(strataLoad.errors),
        `${strataLoad.p50Ms.toFixed(1)} ms`,
        `${strataLoad.p99Ms.toFixed(1)} ms`,
        `${Math.round(strataLoad.longestMs)} ms`,
      ],
    ],
  )

  // The guide's OFFSET loop (UPDATE has no LIMIT; this is its valid form) against keyset paging.
  const offsetRows: string[][] = []
  for (const size of OFFSET_ROWS) {
    await client.query('DROP TABLE IF EXISTS offset_demo')
    await createTable(client, 'offset_demo', size)
    started = performance.now()
    for (let offset = 0; ; offset += 1000) {
      const result = await client.query(
        `UPDATE offset_demo SET new_value = old_value WHERE id IN (SELECT id FROM offset_demo ORDER BY id LIMIT 1000 OFFSET ${offset})`,
      )
      if (result.rowCount === 0) break
    }
    const offsetMs = performance.now() - started
    await client.query('UPDATE offset_demo SET new_value = NULL')
    started = performance.now()
    let last = 0
    for (;;) {
      const result = await client.query(
        'WITH batch AS (SELECT id FROM offset_demo WHERE id > $1 ORDER BY id LIMIT 1000) UPDATE offset_demo SET new_value = old_value FROM batch WHERE offset_demo.id = batch.id RETURNING offset_demo.id',
        [last],
      )
      if (result.rowCount === 0) break
      last = Math.max(...result.rows.map((row) => Number(row.id)))
    }
    const keysetMs = performance.now() - started
    offsetRows.push([
      size.toLocaleString('en-US'),
      `${(offsetMs / 1000).toFixed(2)} s`,
      `${(keysetMs / 1000).toFixed(2)} s`,
      `${(offsetMs / keysetMs).toFixed(1)}×`,
    ])
  }
  const offsetTable = markdownTable(
    ['rows', "guide's OFFSET loop", 'keyset (strata)', 'OFFSET / keyset'],
    offsetRows,
  )
  await client.end()
  saveReport(
    'backfill',
    `PostgreSQL ${server.major} (embedded, default durability, shared_buffers 512MB). Load: one connection alternating a primary-key read and a primary-key update of another column, ~200 queries/s, on the table being backfilled.\n\n${main}\n\nBatches of 1000 rows, one statement each:\n\n${offsetTable}`,
  )
  server.stop()
}

await main()
