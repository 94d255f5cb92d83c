// `npm start`: the local assistant's release 2 deployed to the embedded PostgreSQL 16 on
// 127.0.0.1:5433, with the production workflow the operations guide describes.
//   1. start the embedded server (created on first use);
//   2. on a fresh database: install release 1 (users, user_sessions) and seed it;
//   3. `strata deploy --phase expand`: preflight, backup, upgrade, verify, health, log;
//   4. `strata deploy --phase contract`, as after every instance runs the new release.
// Run again, both deploys find nothing to do and say so.
import { spawnSync } from 'node:child_process'
import { join, relative, resolve } from 'node:path'
import pg from 'pg'
import { reportError } from '../../dist/cli/report-error.js'
import { toClientConfig } from '../../dist/db/connect.js'
import { devConnectionSpec, devStart, loadConfig } from '../../dist/index.js'
import { logTimestamp } from '../../dist/util/timestamp.js'
import { seed } from './seed.mjs'

const here = import.meta.dirname
const cli = resolve(here, '../../dist/strata.cjs')
const configFile = relative(process.cwd(), join(here, 'strata.config.ts')) || 'strata.config.ts'
const RELEASE_1 = '3f2a9c1e0a02'

const say = (line) => console.log(`${logTimestamp()} ${line}`)
const heading = (text) => console.log(`\n== ${text} ==`)

/** Runs the strata CLI as a user would, its output shown as it comes. */
function strata(...args) {
  console.log(`$ strata ${args.join(' ')}`)
  const result = spawnSync(process.execPath, [cli, '-c', configFile, ...args], { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`strata ${args[0]} exited with ${result.status}`)
    process.exit(result.status ?? 1)
  }
}

async function main() {
  const config = await loadConfig({ file: join(here, 'strata.config.ts') })
  heading('Embedded PostgreSQL 16')
  const server = await devStart(config)
  say(
    server.started
      ? `PostgreSQL ${server.created ? 'created and ' : ''}started on ${server.host}:${server.port}, database ${server.database}`
      : `PostgreSQL already running on ${server.host}:${server.port}, database ${server.database}`,
  )

  const spec = devConnectionSpec(config)
  const client = new pg.Client(toClientConfig(spec, false))
  await client.connect()
  const installed = (
    await client.query("SELECT to_regclass('public.alembic_version') IS NOT NULL AS present")
  ).rows[0].present
  await client.end()

  if (!installed) {
    heading('Release 1, as it runs in production today')
    strata('upgrade', RELEASE_1)
    const counts = await seed(toClientConfig(spec, false))
    say(
      `Seeded ${counts.users.toLocaleString('en')} users (${counts.duplicates} signed up twice with the same email) and ${counts.sessions.toLocaleString('en')} sessions`,
    )
  }

  heading('Release 2, phase expand: safe while release 1 still runs')
  strata('deploy', '--phase', 'expand', '--yes')

  heading('Release 2 rolled out to every instance: phase contract')
  strata('deploy', '--phase', 'contract', '--yes')

  heading('Where things are')
  strata('current', '--verbose')
  say(`Production log: ${relative(process.cwd(), config.deploy.log)}`)
}

// A failure (the port taken, a server that will not start) reads as the CLI's do: what,
// where, how to fix it; the stack trace only with --debug.
try {
  await main()
} catch (error) {
  process.exit(reportError(error, { debug: process.argv.includes('--debug'), json: false }))
}
