// Benchmark (issue 3): 500 migrations, each CREATE TABLE + CREATE INDEX, on embedded
// PostgreSQL 16 — strata against psql -f (the limit), Alembic 1.8 and node-pg-migrate,
// in both transaction modes; then `current` at head with 500 migration files.
//
// Run: npm run bench -- migrations   (options: --count N --runs N)
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { measureCommand, median, type Timing, timeRuns } from './lib/measure.js'
import { flag, numberOption } from './lib/options.js'
import { peers, requireAlembic, requireBuiltStrata, requirePsql } from './lib/peers.js'
import { markdownTable, ratio, saveReport, seconds } from './lib/report.js'
import { startBenchServer } from './lib/server.js'

const COUNT = numberOption('count', 500)
const RUNS = numberOption('runs', 5)
// By default commits do not wait for the disk: on a shared disk fsync latency swings
// by 2× between runs and would drown the tools' own costs. --durable measures with
// PostgreSQL's default (synchronous_commit = on) instead.
const DURABLE = flag('durable')

const id = (index: number) => index.toString(16).padStart(12, '0')
const createTable = (index: number) =>
  `CREATE TABLE bench_t${index} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`
const createIndex = (index: number) => `CREATE INDEX ix_bench_t${index}_name ON bench_t${index} (name)`

function writeWorkloads(dir: string) {
  // psql -f: the same statements, one transaction per migration.
  const sql = Array.from(
    { length: COUNT },
    (_, index) => `BEGIN;\n${createTable(index)};\n${createIndex(index)};\nCOMMIT;\n`,
  ).join('')
  writeFileSync(join(dir, 'limit.sql'), sql)

  // strata: TypeScript migrations, as a project writes them.
  const strata = join(dir, 'strata')
  mkdirSync(join(strata, 'migrations', 'versions'), { recursive: true })
  writeFileSync(join(strata, 'strata.config.json'), '{}')
  for (let index = 0; index < COUNT; index++) {
    writeFileSync(
      join(strata, 'migrations', 'versions', `${id(index)}_bench.ts`),
      `export const revision = '${id(index)}'\nexport const downRevision = ${index === 0 ? 'null' : `'${id(index - 1)}'`}\nexport async function upgrade(op) {\n  await op.execute('${createTable(index)}')\n  await op.execute('${createIndex(index)}')\n}\nexport async function downgrade(op) {\n  await op.execute('DROP TABLE bench_t${index}')\n}\n`,
    )
  }

  // Alembic 1.8: a minimal env.py; transaction_per_migration from the environment.
  const alembic = join(dir, 'alembic')
  mkdirSync(join(alembic, 'versions'), { recursive: true })
  writeFileSync(join(alembic, 'alembic.ini'), '[alembic]\nscript_location = .\n')
  writeFileSync(
    join(alembic, 'env.py'),
    `import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ['BENCH_DB_URL'])\nwith engine.connect() as connection:\n    context.configure(connection=connection, transaction_per_migration=os.environ.get('BENCH_TPM') == '1')\n    with context.begin_transaction():\n        context.run_migrations()\n`,
  )
  writeFileSync(join(alembic, 'script.py.mako'), '')
  for (let index = 0; index < COUNT; index++) {
    writeFileSync(
      join(alembic, 'versions', `${id(index)}_bench.py`),
      `from alembic import op\n\nrevision = '${id(index)}'\ndown_revision = ${index === 0 ? 'None' : `'${id(index - 1)}'`}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute("${createTable(index)}")\n    op.execute("${createIndex(index)}")\n\n\ndef downgrade():\n    op.execute("DROP TABLE bench_t${index}")\n`,
    )
  }

  // node-pg-migrate 9: JavaScript migrations.
  const npm = join(dir, 'node-pg-migrate')
  mkdirSync(npm, { recursive: true })
  for (let index = 0; index < COUNT; index++) {
    writeFileSync(
      join(npm, `${String(index).padStart(6, '0')}_bench.js`),
      `exports.up = (pgm) => {\n  pgm.sql('${createTable(index)}')\n  pgm.sql('${createIndex(index)}')\n}\nexports.down = (pgm) => {\n  pgm.sql('DROP TABLE bench_t${index}')\n}\n`,
    )
  }
  return { strata, alembic, npm }
}

async function main() {
  requireBuiltStrata()
  requireAlembic()
  const psql = requirePsql()
  const server = await startBenchServer(DURABLE ? {} : { settings: { synchronous_commit: 'off' } })
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-mig-'))
  chmodSync(dir, 0o755)
  const paths = writeWorkloads(dir)
  let database = 0
  const fresh = () => server.createDatabase(`bench_${database++}`)

  type Case = {
    tool: string
    mode: 'per migration' | 'single transaction'
    run: (url: string) => { command: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv }
  }
  const cases: Case[] = [
    {
      tool: 'psql -f (limit)',
      mode: 'per migration',
      run: (url) => ({
        command: psql,
        args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(dir, 'limit.sql')],
      }),
    },
    {
      tool: 'strata',
      mode: 'per migration',
      run: (url) => ({
        command: peers.strata.command,
        args: [...peers.strata.args, 'upgrade', 'head', '-q'],
        cwd: paths.strata,
        env: { DATABASE_URL: url },
      }),
    },
    {
      tool: 'strata',
      mode: 'single transaction',
      run: (url) => ({
        command: peers.strata.command,
        args: [...peers.strata.args, 'upgrade', 'head', '-q', '--single-transaction'],
        cwd: paths.strata,
        env: { DATABASE_URL: url },
      }),
    },
    {
      tool: 'alembic 1.8',
      mode: 'per migration',
      run: (url) => ({
        command: peers.alembic.command,
        args: [...peers.alembic.args, 'upgrade', 'head'],
        cwd: paths.alembic,
        env: { BENCH_DB_URL: url, BENCH_TPM: '1' },
      }),
    },
    {
      tool: 'alembic 1.8',
      mode: 'single transaction',
      run: (url) => ({
        command: peers.alembic.command,
        args: [...peers.alembic.args, 'upgrade', 'head'],
        cwd: paths.alembic,
        env: { BENCH_DB_URL: url, BENCH_TPM: '0' },
      }),
    },
    {
      tool: 'node-pg-migrate 9',
      mode: 'per migration',
      run: (url) => ({
        command: peers.nodePgMigrate.command,
        args: ['up', '-m', paths.npm, '--no-check-order'],
        env: { DATABASE_URL: url },
      }),
    },
    {
      tool: 'node-pg-migrate 9',
      mode: 'single transaction',
      run: (url) => ({
        command: peers.nodePgMigrate.command,
        args: ['up', '-m', paths.npm, '--single-transaction', '--no-check-order'],
        env: { DATABASE_URL: url },
      }),
    },
  ]
  // Warm-up: one run per tool fills its caches (Python bytecode, compiled TypeScript).
  for (const item of cases) await timeRuns(1, async () => item.run(await fresh()))
  // Then the cases take turns, so that a slow period of the machine hits all of them.
  const timings = new Map<Case, Timing[]>(cases.map((item) => [item, []]))
  for (let run = 0; run < RUNS; run++) {
    for (const item of cases) timings.get(item)!.push(measureCommand(item.run(await fresh())))
  }
  const results = new Map<string, number>()
  const medians = new Map<string, number>()
  const cpus = new Map<string, number>()
  for (const item of cases) {
    const key = `${item.tool}|${item.mode}`
    const walls = timings.get(item)!.map((timing) => timing.wall)
    results.set(key, Math.min(...walls))
    medians.set(key, median(walls))
    cpus.set(key, median(timings.get(item)!.map((timing) => timing.cpu)))
    console.error(`${item.tool} (${item.mode}): ${walls.map((value) => value.toFixed(3)).join(' ')} s`)
  }

  // `current` on a database at head with all migration files present.
  const atHead = await fresh()
  await timeRuns(1, async () => cases[1]!.run(atHead))
  const alembicAtHead = await fresh()
  await timeRuns(1, async () => cases[3]!.run(alembicAtHead))
  // The two tools take turns here too.
  const currentCommands = {
    strata: { ...peers.strata, cwd: paths.strata, env: { DATABASE_URL: atHead } },
    alembic: { ...peers.alembic, cwd: paths.alembic, env: { BENCH_DB_URL: alembicAtHead } },
  }
  const currentWalls = { strata: [] as number[], alembic: [] as number[] }
  for (let run = 0; run < RUNS + 2; run++) {
    for (const tool of ['strata', 'alembic'] as const) {
      const { command, args, cwd, env } = currentCommands[tool]
      currentWalls[tool].push(measureCommand({ command, args: [...args, 'current'], cwd, env }).wall)
    }
  }
  const strataCurrent = Math.min(...currentWalls.strata)
  const alembicCurrent = Math.min(...currentWalls.alembic)
  for (const tool of ['strata', 'alembic'] as const)
    console.error(`current: ${tool} ${currentWalls[tool].map((value) => value.toFixed(3)).join(' ')} s`)

  const limit = results.get('psql -f (limit)|per migration')!
  const limitMedian = medians.get('psql -f (limit)|per migration')!
  const rows = cases.map((item) => {
    const time = results.get(`${item.tool}|${item.mode}`)!
    const alembic = results.get(`alembic 1.8|${item.mode}`)!
    const alembicMedian = medians.get(`alembic 1.8|${item.mode}`)!
    const middle = medians.get(`${item.tool}|${item.mode}`)!
    const cpu = cpus.get(`${item.tool}|${item.mode}`)!
    return [
      item.tool,
      item.mode,
      seconds(time),
      seconds(middle),
      seconds(cpu),
      `${ratio(time / limit)} / ${ratio(middle / limitMedian)}`,
      item.tool.startsWith('alembic') ? '' : `${ratio(time / alembic)} / ${ratio(middle / alembicMedian)}`,
    ]
  })
  const upgradeTable = markdownTable(
    [
      'tool',
      'transactions',
      `upgrade head, ${COUNT} migrations (best)`,
      'median',
      'tool CPU',
      'vs psql limit (best / median)',
      'vs alembic, same mode (best / median)',
    ],
    rows,
  )
  const currentTable = markdownTable(
    ['command', 'strata (best)', 'alembic 1.8 (best)', 'strata / alembic (best / median)'],
    [
      [
        `current (${COUNT} files, at head)`,
        seconds(strataCurrent),
        seconds(alembicCurrent),
        `${ratio(strataCurrent / alembicCurrent)} / ${ratio(median(currentWalls.strata) / median(currentWalls.alembic))}`,
      ],
    ],
  )
  const settings = DURABLE
    ? 'default settings (synchronous_commit = on)'
    : 'synchronous_commit = off (commits do not wait for the disk)'
  saveReport(
    'migrations',
    `PostgreSQL ${server.major} (embedded), ${settings}. ${RUNS} interleaved runs per case after a warm-up, each on a fresh database after a CHECKPOINT; ratios use the best run (the disk is shared with the host, so the minimum is the tool's own cost; the median is shown beside it).\n\n${upgradeTable}\n\n${currentTable}`,
  )
  server.stop()
}

await main()
