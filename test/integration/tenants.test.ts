import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.js'
import { withDatabase } from '../../src/db/connection-spec.js'
import { runTenantsCommand } from '../../src/fleet/index.js'
import { upgrade } from '../../src/runner/migrate.js'
import { TENANT_MIGRATIONS } from '../fixtures/tenant-migrations.js'
import { createTestDatabase, urlOf, withClient } from '../helpers/database.js'
import { type TestProject, testProject } from '../helpers/project.js'
import { serverSpec } from '../helpers/servers.js'
import { createTenantDatabases } from '../helpers/tenants.js'

const REVISIONS = ['a10000000001', 'a10000000002', 'a10000000003', 'a10000000004', 'a10000000005']
const HEAD = REVISIONS[4]!

/** Five migrations; the fourth (a unique index) fails on a tenant holding duplicate emails. */
function fleetProject(t: Parameters<typeof testProject>[0]): TestProject {
  const project = testProject(t, undefined, {})
  for (const [index, [up, downSql]] of TENANT_MIGRATIONS.entries())
    project.sql(REVISIONS[index]!, { down: index === 0 ? null : REVISIONS[index - 1]!, up, downSql })
  return project
}

const serverUrl = () => urlOf(withDatabase(serverSpec(16), 'postgres'))
const tenantSpec = (name: string) => withDatabase(serverSpec(16), name)

async function revisionOf(spec: ReturnType<typeof tenantSpec>, schema = 'public'): Promise<string[]> {
  return withClient(spec, async (client) => {
    const exists = await client.query('SELECT to_regclass($1) AS t', [`"${schema}".alembic_version`])
    if (exists.rows[0].t === null) return []
    const { rows } = await client.query(`SELECT version_num FROM "${schema}".alembic_version`)
    return rows.map((row) => row.version_num)
  })
}

async function successfulUps(spec: ReturnType<typeof tenantSpec>, schema = 'public'): Promise<number> {
  return withClient(spec, async (client) => {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM "${schema}".strata_history WHERE direction = 'up' AND outcome = 'success'`,
    )
    return rows[0].n
  })
}

/** Seeds duplicate emails in one tenant brought to the third migration: the fourth fails there. */
async function breakTenant(project: TestProject, name: string): Promise<void> {
  const config = await loadConfig({ file: join(project.dir, 'strata.config.json') })
  await upgrade({ config, spec: tenantSpec(name) }, REVISIONS[2])
  await withClient(tenantSpec(name), (client) =>
    client.query("INSERT INTO accounts (email) VALUES ('same@example.com'), ('same@example.com')"),
  )
}

test('tenants upgrade: 50 tenant databases migrated in one run, one already at head, a report to resume from', async (t) => {
  const project = fleetProject(t)
  const { pattern, names } = await createTenantDatabases(t, 50)
  const config = await loadConfig({ file: join(project.dir, 'strata.config.json') })
  await upgrade({ config, spec: tenantSpec(names[7]!) }, 'head')

  const result = await project.cli(['tenants', 'upgrade', '--match', pattern], { DATABASE_URL: serverUrl() })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.match(result.stdout, /upgrade to head: 50 tenants in/)
  assert.match(result.stdout, /migrated\s+49/)
  assert.match(result.stdout, /already there\s+1/)
  assert.match(result.stderr, /50 tenants by --match .* at a time \(from max_connections \d+/)
  for (const name of names) {
    assert.deepEqual(await revisionOf(tenantSpec(name)), [HEAD], name)
    assert.equal(await successfulUps(tenantSpec(name)), 5, `${name}: each migration ran once`)
  }
  const reportPath = /Report: (\S+)/.exec(result.stdout)![1]!
  assert.equal(statSync(reportPath).mode & 0o777, 0o600)
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  assert.deepEqual(report.counts, { total: 50, done: 49, unchanged: 1, failed: 0, 'not started': 0 })
  const atHead = report.tenants.find((tenant: { tenant: string }) => tenant.tenant === names[7])
  assert.equal(atHead.status, 'unchanged')
  assert.equal(atHead.summary, 'already at head: nothing to upgrade')
  assert.ok(
    !readFileSync(reportPath, 'utf8').includes(serverSpec(16).password ?? '\u0000'),
    'no password in the report',
  )

  const current = await project.cli(['tenants', 'current', '--match', pattern], { DATABASE_URL: serverUrl() })
  assert.equal(current.code, 0, current.stderr)
  assert.match(current.stdout, new RegExp(`${HEAD} \\(head\\)\\s+50`))
})

test('tenants upgrade --schemas: 50 tenant schemas in one database, each with its own version table', async (t) => {
  const project = fleetProject(t)
  const db = await createTestDatabase(t)
  const schemas = Array.from({ length: 50 }, (_, index) => `tenant_${String(index + 1).padStart(2, '0')}`)
  await db.query(schemas.map((schema) => `CREATE SCHEMA ${schema};`).join('\n'))
  await db.query('CREATE SCHEMA other')

  const result = await project.cli(['tenants', 'upgrade', '--schemas', 'tenant\\_%', '--concurrency', '4'], {
    DATABASE_URL: db.url,
  })
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.match(result.stdout, /migrated\s+50/)
  for (const schema of schemas) {
    assert.deepEqual(await revisionOf(db.spec, schema), [HEAD], schema)
    assert.equal(await successfulUps(db.spec, schema), 5)
  }
  const tables = await db.query(
    "SELECT table_schema, count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY 1",
  )
  const bySchema = Object.fromEntries(tables.rows.map((row) => [row.table_schema, row.n]))
  assert.equal(bySchema.public, undefined, 'nothing was created in public')
  assert.equal(bySchema.other, undefined, 'a schema that does not match is left alone')
  assert.equal(bySchema.tenant_01, 4, 'accounts, notes, alembic_version, strata_history')

  const verify = await project.cli(['tenants', 'verify', '--schemas', 'tenant\\_0%'], {
    DATABASE_URL: db.url,
  })
  assert.equal(verify.code, 0, verify.stderr + verify.stdout)
  assert.match(verify.stdout, /verify: 9 tenants/)
  // A pattern matching every schema leaves out public, the shared one, and says so.
  const every = await project.cli(['tenants', 'current', '--schemas', '%'], { DATABASE_URL: db.url })
  assert.equal(every.code, 0, every.stderr + every.stdout)
  assert.match(every.stderr, /current: 51 tenants by --schemas %/)
  assert.match(every.stderr, /left out public: matched by a wildcard, but no tenant.s/)

  // The database's own migrations in public beside the tenants: its verify and
  // autogenerate leave the tenants' schemas (each with its own version table) out.
  const main = await project.cli(['upgrade', 'head'], { DATABASE_URL: db.url })
  assert.equal(main.code, 0, main.stderr)
  const own = await project.cli(['verify'], { DATABASE_URL: db.url })
  assert.equal(own.code, 0, own.stdout)
  assert.match(
    own.stdout,
    /✓ Data types consistent — schema matches the migrations at a10000000005 \(.*; 50 schemas with their own alembic_version left out \(tenant_01, tenant_02, tenant_03, tenant_04, tenant_05 and 45 more\): strata tenants verify --schemas checks them\)/,
  )
  await db.query('ALTER TABLE public.accounts ADD COLUMN nickname text')
  const generated = await project.cli(['revision', '--autogenerate', '-m', 'nickname'], {
    DATABASE_URL: db.url,
  })
  assert.equal(generated.code, 0, generated.stderr + generated.stdout)
  const file = /Generating (\S+\.sql)/.exec(generated.stdout)![1]!
  const [up] = readFileSync(join(project.dir, file), 'utf8').split('-- migrate:down')
  assert.match(up!, /ALTER TABLE accounts ADD COLUMN nickname text;/)
  assert.match(up!, /CREATE SCHEMA other;/, "a schema without its own version table is the database's")
  assert.doesNotMatch(up!, /tenant_/)
})

test('a failing tenant: fail-fast starts no new tenant, --continue-on-error finishes the rest, --only-failed resumes', async (t) => {
  const project = fleetProject(t)
  // The team hears how each fleet run ended (deploy.notify).
  writeFileSync(
    join(project.dir, 'strata.config.json'),
    JSON.stringify({
      deploy: { notify: { command: 'echo "$STRATA_EVENT|$STRATA_MESSAGE" >> fleet-events.txt' } },
    }),
  )
  const events = () => readFileSync(join(project.dir, 'fleet-events.txt'), 'utf8').trim().split('\n')
  const { pattern, names } = await createTenantDatabases(t, 12)
  const broken = names[2]!
  await breakTenant(project, broken)
  const env = { DATABASE_URL: serverUrl() }

  const failFast = await project.cli(
    ['tenants', 'upgrade', '--match', pattern, '--concurrency', '2', '--json'],
    env,
  )
  assert.equal(failFast.code, 1)
  const first = JSON.parse(failFast.stdout)
  assert.match(
    events()[0]!,
    new RegExp(
      `^fleet-failed\\|tenants upgrade to head by \\S+ \\(--match ${pattern.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\\): \\d+ done, 0 unchanged, 1 failed, \\d+ not started in \\S+; report \\S+tenants_upgrade_\\d{8}_\\d{6}(_\\d+)?\\.json$`,
    ),
  )
  assert.equal(first.counts.failed, 1)
  assert.ok(
    first.counts['not started'] >= 7,
    `tenants after the failure were not started: ${JSON.stringify(first.counts)}`,
  )
  const failed = first.tenants.find((tenant: { status: string }) => tenant.status === 'failed')
  assert.equal(failed.tenant, broken)
  assert.match(failed.summary, /accounts_email_key|could not create unique index/)
  // One line in the summary table; the report keeps the statement and the outcome.
  assert.doesNotMatch(failed.summary, /\n/)
  assert.ok(failed.error.some((line: string) => /^statement at .*:\d+: CREATE UNIQUE INDEX/.test(line)))
  assert.ok(failed.error.some((line: string) => /^rolled back: /.test(line)))
  assert.deepEqual(await revisionOf(tenantSpec(broken)), [REVISIONS[2]], 'the failed migration rolled back')
  const notStarted = first.tenants.filter((tenant: { status: string }) => tenant.status === 'not started')
  for (const tenant of notStarted) assert.deepEqual(await revisionOf(tenantSpec(tenant.tenant)), [])

  const goOn = await project.cli(['tenants', 'upgrade', '--match', pattern, '--continue-on-error'], env)
  assert.equal(goOn.code, 1)
  assert.match(
    goOn.stdout,
    new RegExp(`✗\\s+${broken}\\s+upgrade \\S+ \\(migration \\S+\\) failed: ERROR 23505[^\\n]*\\d+ms\\n`),
  )
  assert.match(goOn.stdout, /failed\s+1/)
  assert.match(
    goOn.stdout,
    /Run the failed and not-started tenants again: strata tenants upgrade --only-failed (\S+)/,
  )
  const reportPath = /--only-failed (\S+)/.exec(goOn.stdout)![1]!
  for (const name of names.filter((name) => name !== broken))
    assert.deepEqual(await revisionOf(tenantSpec(name)), [HEAD], name)

  await withClient(tenantSpec(broken), (client) =>
    client.query("UPDATE accounts SET email = 'other@example.com' WHERE id = (SELECT max(id) FROM accounts)"),
  )
  const resumed = await project.cli(['tenants', 'upgrade', '--only-failed', reportPath, '--json'], env)
  assert.equal(resumed.code, 0, resumed.stderr)
  const third = JSON.parse(resumed.stdout)
  assert.deepEqual(
    third.tenants.map((tenant: { tenant: string; status: string }) => [tenant.tenant, tenant.status]),
    [[broken, 'done']],
    'only the failed tenant ran',
  )
  assert.deepEqual(await revisionOf(tenantSpec(broken)), [HEAD])
  assert.match(
    events().at(-1)!,
    /^fleet-done\|tenants upgrade to head by \S+ \(--only-failed \S+ .*\): 1 done, 0 unchanged, 0 failed, 0 not started /,
  )
})

test('two fleet runs started at once on overlapping tenants migrate each tenant exactly once', async (t) => {
  const project = fleetProject(t)
  const { names } = await createTenantDatabases(t, 20)
  const listA = join(project.dir, 'a.txt')
  const listB = join(project.dir, 'b.txt')
  writeFileSync(listA, `${names.slice(0, 14).join('\n')}\n`)
  writeFileSync(listB, `# the second half, overlapping\n${names.slice(6).reverse().join('\n')}\n`)
  const env = { DATABASE_URL: serverUrl() }
  const [a, b] = await Promise.all([
    project.cli(['tenants', 'upgrade', '--list', listA, '--concurrency', '3', '--json'], env),
    project.cli(['tenants', 'upgrade', '--list', listB, '--concurrency', '3', '--json'], env),
  ])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(b.code, 0, b.stderr)
  const migratedBy = new Map<string, number>()
  for (const run of [JSON.parse(a.stdout), JSON.parse(b.stdout)])
    for (const tenant of run.tenants)
      if (tenant.status === 'done') migratedBy.set(tenant.tenant, (migratedBy.get(tenant.tenant) ?? 0) + 1)
  for (const name of names) {
    assert.equal(await successfulUps(tenantSpec(name)), 5, `${name}: every migration ran exactly once`)
    assert.deepEqual(await revisionOf(tenantSpec(name)), [HEAD])
  }
  const overlap = names.slice(6, 14)
  const doneTwice = overlap.filter((name) => (migratedBy.get(name) ?? 0) > 1)
  assert.deepEqual(doneTwice, [], 'no overlapping tenant was upgraded by both runs')
})

test('tenants: bad input is one clear line, exit 2, nothing migrated', async (t) => {
  const project = fleetProject(t)
  const { pattern, names } = await createTenantDatabases(t, 2)
  const env = { DATABASE_URL: serverUrl() }
  const twoPerLine = join(project.dir, 'two.txt')
  writeFileSync(twoPerLine, `${names[0]}\n${names[0]} ${names[1]}\n`)
  const typo = join(project.dir, 'typo.txt')
  writeFileSync(typo, `${names[0]}\ntenant_tpyo\n`)
  const cases: [string[], RegExp][] = [
    [['tenants', 'upgrade'], /which tenants\? none of --match, --schemas or --list/],
    [
      ['tenants', 'upgrade', '--match', pattern, '--schemas', 'x%'],
      /give one of --match, --schemas and --list/,
    ],
    [
      ['tenants', 'upgrade', '--match', pattern, '--concurrency', '0'],
      /--concurrency expects a positive whole number/,
    ],
    [['tenants', 'upgrade', '--match', 'no\\_such\\_tenant\\_%'], /no tenant found by --match/],
    // The maintenance database is no tenant when a wildcard reaches it; named exactly, it is.
    [
      ['tenants', 'upgrade', '--match', 'postgre%'],
      /no tenant found by --match postgre%: it matches only postgres, which a wildcard leaves out .*\n {2}hint: to run it there on purpose, name it exactly: --match postgres/,
    ],
    [
      ['tenants', 'upgrade', '--only-failed', join(project.dir, 'missing.json')],
      /cannot read the fleet report .*no such file/,
    ],
    [['tenants', 'upgrade', '--list', twoPerLine], /two\.txt:2: one tenant per line/],
    [
      ['tenants', 'upgrade', '--list', typo],
      /lists 1 tenant that does not exist: line 2: database tenant_tpyo/,
    ],
    [
      ['--all-databases', 'tenants', 'current', '--match', pattern],
      /--all-databases does not apply to strata tenants current/,
    ],
  ]
  for (const [args, message] of cases) {
    const result = await project.cli(args, env)
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message)
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
  }
  for (const name of names) assert.deepEqual(await revisionOf(tenantSpec(name)), [])
})

test('a concurrency above what the server has free (by flag or config) is refused before any tenant starts', async (t) => {
  const project = fleetProject(t)
  const database = await createTestDatabase(t)
  // The test server allows 300 connections: 160 tenants at two sessions each cannot fit.
  await database.query(
    "DO $$ BEGIN FOR i IN 1..160 LOOP EXECUTE format('CREATE SCHEMA tenant_%s', i); END LOOP; END $$",
  )
  const env = { DATABASE_URL: database.url }
  const flag = await project.cli(['tenants', 'upgrade', '--schemas', 'tenant_%', '--concurrency', '500'], env)
  assert.equal(flag.code, 2, flag.stderr)
  assert.match(
    flag.stderr,
    /^error: --concurrency 500 would migrate 160 tenants of 127\.0\.0\.1:\d+ at once, with up to 2 sessions each; the server has \d+ connections free \(max_connections 300, 3 reserved, \d+ in use\), and the application would be refused its own\. Nothing was started\n {2}hint: use --concurrency \d+ \(half the free connections, the rest left to the application\) or at most 1[0-4]\d;/,
  )
  writeFileSync(join(project.dir, 'strata.config.json'), JSON.stringify({ tenants: { concurrency: 200 } }))
  const config = await project.cli(['tenants', 'upgrade', '--schemas', 'tenant_%'], env)
  assert.equal(config.code, 2, config.stderr)
  assert.match(config.stderr, /^error: tenants\.concurrency 200 would migrate 160 tenants/)
  assert.match(config.stderr, /\n {2}at: tenants\.concurrency in the config\n/)
  const versionTables = await database.one(
    "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'alembic_version'",
  )
  assert.equal(versionTables.n, 0, 'no tenant was migrated')
})

test('library: runTenantsCommand returns the report; a tenant schema backup holds only that schema and is not restorable as the database', async (t) => {
  const project = fleetProject(t)
  const db = await createTestDatabase(t, 15)
  await db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b;')
  const config = await loadConfig({ file: join(project.dir, 'strata.config.json') })
  const run = (command: 'upgrade' | 'backup') =>
    runTenantsCommand({
      config,
      command,
      selection: { schemas: 'tenant\\_%' },
      selectedSpec: async () => db.spec,
      concurrency: 2,
    })
  const { report } = await run('upgrade')
  assert.deepEqual(report.counts, { total: 2, done: 2, unchanged: 0, failed: 0, 'not started': 0 })
  await db.query("INSERT INTO tenant_a.accounts (email) VALUES ('a@example.com'), ('b@example.com')")

  const backups = await run('backup')
  assert.equal(backups.report.counts.done, 2)
  const tenantA = backups.report.tenants.find((tenant) => tenant.tenant === 'tenant_a')!
  const manifest = tenantA.data as {
    id: string
    options: { schemas: string[] }
    rowCounts: Record<string, number>
  }
  assert.deepEqual(manifest.options.schemas, ['tenant_a'])
  assert.match(manifest.id, new RegExp(`^${db.name}\\.tenant_a_\\d{8}_\\d{6}`))
  assert.deepEqual(Object.keys(manifest.rowCounts).sort(), [
    'tenant_a.accounts',
    'tenant_a.alembic_version',
    'tenant_a.notes',
    'tenant_a.strata_history',
  ])
  assert.equal(manifest.rowCounts['tenant_a.accounts'], 2)

  const restore = await project.cli(['restore', manifest.id, '--yes'], { DATABASE_URL: db.url })
  assert.equal(restore.code, 2, restore.stderr)
  assert.match(
    restore.stderr,
    /holds only schema tenant_a; restoring it as the whole database would lose every other schema/,
  )
  assert.equal((await db.one('SELECT count(*)::int AS n FROM tenant_b.accounts')).n, 0, 'untouched')

  // A downgrade that drops accounts.created_at: tenant_a's rows hold values, backed up
  // first (its own schema's table only); tenant_b's table is empty, nothing to back up.
  const down = await project.cli(['tenants', 'downgrade', REVISIONS[3]!, '--schemas', 'tenant\\_%'], {
    DATABASE_URL: db.url,
  })
  assert.equal(down.code, 0, down.stderr + down.stdout)
  const saved = readdirSync(join(project.dir, 'data', 'backups'))
    .filter((name) => name.endsWith('.manifest.json'))
    .map((name) => JSON.parse(readFileSync(join(project.dir, 'data', 'backups', name), 'utf8')))
    .filter((entry) => entry.options.tables.length > 0)
  assert.deepEqual(
    saved.map((entry) => entry.rowCounts),
    [{ 'tenant_a.accounts': 2 }],
  )
  // Each tenant's line says where its destroyed data is, as `strata downgrade` does.
  const savedId = saved[0]!.id as string
  assert.ok(
    down.stdout.includes(`(1 migration); the data it destroyed is kept in backup ${savedId}`),
    down.stdout,
  )
  assert.deepEqual(await revisionOf(db.spec, 'tenant_a'), [REVISIONS[3]])
  assert.deepEqual(await revisionOf(db.spec, 'tenant_b'), [REVISIONS[3]])
})
