// Benchmark (issue 9): a fleet of tenant databases, 5 migrations each — one
// `strata tenants upgrade` process against the guide's loop (Scenario 4: one
// `strata upgrade head` process per tenant, one after another), for several fleet
// sizes so that the scaling shows.
//
// Run: npm run bench -- fleet   (options: --tenants 100,500 --concurrency N)
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { TENANT_MIGRATIONS } from '../test/fixtures/tenant-migrations.js'
import { measureCommand, type Timing } from './lib/measure.js'
import { option } from './lib/options.js'
import { peers, requireBuiltStrata, requirePsql } from './lib/peers.js'
import { markdownTable, ratio, saveReport, seconds } from './lib/report.js'
import { startBenchServer } from './lib/server.js'

const SIZES = option('tenants', '100,500')
  .split(',')
  .map((size) => Number(size))
const CONCURRENCY = option('concurrency', '')

/** A project with the five migrations, as SQL files. */
function writeProject(dir: string): void {
  const versions = join(dir, 'migrations', 'versions')
  mkdirSync(versions, { recursive: true })
  writeFileSync(join(dir, 'strata.config.json'), '{}')
  const revisionOf = (step: number) => `f1ee7${String(step).padStart(7, '0')}`
  TENANT_MIGRATIONS.forEach(([up, down], index) => {
    const revision = revisionOf(index + 1)
    const parent = index === 0 ? 'none' : revisionOf(index)
    writeFileSync(
      join(versions, `${revision}_step_${index + 1}.sql`),
      `-- revision: ${revision}\n-- down_revision: ${parent}\n-- message: step ${index + 1}\n-- migrate:up\n${up};\n-- migrate:down\n${down};\n`,
    )
  })
}

/** The guide's Scenario 4 loop, word for word but for `strata` in place of `alembic`. */
function writeGuideLoop(dir: string, psql: string, server: string): string {
  const script = join(dir, 'migrate_tenants.sh')
  writeFileSync(
    script,
    `#!/usr/bin/env bash
# Script to migrate all tenant databases
for tenant_db in $(${psql} -X -d "${server}/postgres" -t -c "SELECT datname FROM pg_database WHERE datname LIKE 'tenant_%'"); do
    echo "Migrating $tenant_db..."

    export DATABASE_URL="${server}/$tenant_db"
    "${peers.strata.command}" "${peers.strata.args[0]}" upgrade head

    if [ $? -eq 0 ]; then
        echo "✓ $tenant_db migrated successfully"
    else
        echo "✗ $tenant_db migration failed!"
        exit 1
    fi
done
`,
  )
  chmodSync(script, 0o755)
  return script
}

/** Drops the tenant databases and creates `count` fresh ones. */
async function freshFleet(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'tenant\\_%'",
  )
  for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}"`)
  for (let index = 1; index <= count; index++)
    await client.query(`CREATE DATABASE "tenant_${String(index).padStart(4, '0')}" TEMPLATE template0`)
  await client.query('CHECKPOINT')
  await client.end()
}

async function main() {
  requireBuiltStrata()
  const psql = requirePsql()
  // Enough connections for the default concurrency to be what a real server allows.
  const server = await startBenchServer({ settings: { synchronous_commit: 'off', max_connections: 100 } })
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-fleet-'))
  chmodSync(dir, 0o755)
  writeProject(dir)
  const base = server.url('postgres').replace(/\/postgres$/, '')
  const loop = writeGuideLoop(dir, psql, base)

  const results: { size: number; strata: Timing; loop: Timing; concurrency: string }[] = []
  for (const size of SIZES) {
    await freshFleet(server.url('postgres'), size)
    const strata = measureCommand({
      command: peers.strata.command,
      args: [
        ...peers.strata.args,
        'tenants',
        'upgrade',
        '--match',
        'tenant_%',
        ...(CONCURRENCY ? ['--concurrency', CONCURRENCY] : []),
      ],
      cwd: dir,
      env: { DATABASE_URL: server.url('postgres') },
    })
    const concurrency = CONCURRENCY || defaultConcurrencyUsed(dir)
    await freshFleet(server.url('postgres'), size)
    const guide = measureCommand({ command: 'bash', args: [loop], cwd: dir })
    results.push({ size, strata, loop: guide, concurrency })
    console.error(
      `${size} tenants: strata ${seconds(strata.wall)}, guide loop ${seconds(guide.wall)} (${ratio(guide.wall / strata.wall)})`,
    )
  }

  const table = markdownTable(
    [
      'tenants',
      'strata tenants upgrade',
      'concurrency',
      "guide's loop",
      'loop ÷ strata',
      'strata per tenant',
      'loop per tenant',
      'strata CPU',
      'loop CPU',
    ],
    results.map((result) => [
      String(result.size),
      seconds(result.strata.wall),
      result.concurrency,
      seconds(result.loop.wall),
      ratio(result.loop.wall / result.strata.wall),
      `${((result.strata.wall / result.size) * 1000).toFixed(1)} ms`,
      `${((result.loop.wall / result.size) * 1000).toFixed(1)} ms`,
      seconds(result.strata.cpu),
      seconds(result.loop.cpu),
    ]),
  )
  const first = results[0]!
  const last = results.at(-1)!
  const scaling =
    results.length > 1
      ? `\n\nFrom ${first.size} to ${last.size} tenants (${ratio(last.size / first.size)} the tenants): strata took ${ratio(last.strata.wall / first.strata.wall)} the time, the loop ${ratio(last.loop.wall / first.loop.wall)}.`
      : ''
  saveReport(
    'fleet',
    `## Tenant fleet: strata tenants upgrade vs the guide's loop (PostgreSQL ${server.major} embedded, max_connections 100, synchronous_commit = off; 5 SQL migrations per tenant database)\n\n${table}${scaling}`,
  )
  server.stop()
}

/** The concurrency the fleet chose by default, from the report it wrote. */
function defaultConcurrencyUsed(dir: string): string {
  const reports = readdirSync(join(dir, 'migrations'))
    .filter((name) => name.startsWith('tenants_upgrade_'))
    .sort()
  const report = JSON.parse(readFileSync(join(dir, 'migrations', reports.at(-1)!), 'utf8'))
  return `${report.concurrency} (default)`
}

await main()
