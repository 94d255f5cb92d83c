import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connect } from '../../src/db/connect.js'
import { parseConnectionString, withDatabase } from '../../src/db/connection-spec.js'
import { findFreePort } from '../../src/embedded/port.js'
import { ConnectionError } from '../../src/errors/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { testProject } from '../helpers/project.js'
import { serverSpec } from '../helpers/servers.js'

async function failure(url: string): Promise<ConnectionError> {
  try {
    const connection = await connect(parseConnectionString(url, { env: {} }))
    await connection.close()
  } catch (error) {
    assert.ok(error instanceof ConnectionError, `expected ConnectionError, got ${error}`)
    assert.equal(error.exitCode, 1)
    return error
  }
  assert.fail(`connecting to ${url} should have failed`)
}

test('a good connection reports the server version and sets application_name=strata', async (t) => {
  const database = await createTestDatabase(t)
  const connection = await connect(database.spec)
  try {
    assert.ok(connection.serverVersionNum >= 160000)
    const { rows } = await connection.client.query('SELECT current_setting($1) AS name', ['application_name'])
    assert.equal(rows[0]?.name, 'strata')
  } finally {
    await connection.close()
  }
})

test('connection refused names the address and how to start a server', async () => {
  const port = await findFreePort()
  const error = await failure(`postgresql://postgres:pw@127.0.0.1:${port}/postgres`)
  assert.equal(error.kind, 'refused')
  assert.equal(
    error.message,
    `connection refused at 127.0.0.1:${port}: no PostgreSQL server is listening there`,
  )
  assert.match(error.hint ?? '', /strata dev start/)
})

test('an unknown host is named', async () => {
  const error = await failure('postgresql://postgres:pw@no-such-host.invalid:5432/postgres?connect_timeout=5')
  assert.equal(error.kind, 'host-not-found')
  assert.match(error.message, /host "no-such-host\.invalid" not found/)
})

test('a host that never answers is reported as unreachable after the connect timeout', async (t) => {
  const silent = createServer(() => undefined) // accepts, never speaks
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => silent.close())
  const port = (silent.address() as { port: number }).port
  const error = await failure(`postgresql://postgres:pw@127.0.0.1:${port}/postgres?connect_timeout=1`)
  assert.equal(error.kind, 'unreachable')
  assert.match(error.message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: no answer within 1s`))
})

test('a wrong password is reported without the password', async () => {
  const spec = serverSpec()
  const error = await failure(`postgresql://postgres:definitely-wrong@127.0.0.1:${spec.port}/postgres`)
  assert.equal(error.kind, 'authentication')
  assert.equal(error.message, `password authentication failed for user "postgres" at 127.0.0.1:${spec.port}`)
  assert.ok(!`${error.message}${error.where}${error.hint}`.includes('definitely-wrong'))
})

test('no password where the server asks for one is said plainly, with where to give it', async () => {
  const spec = serverSpec()
  const error = await failure(`postgresql://postgres@127.0.0.1:${spec.port}/postgres`)
  assert.equal(error.kind, 'authentication')
  assert.equal(
    error.message,
    `the server at 127.0.0.1:${spec.port} asks user "postgres" for a password, and none was given`,
  )
  assert.match(error.hint ?? '', /PGPASSWORD, or in ~\/\.pgpass/)
})

test('a missing database comes with the command that creates it', async () => {
  const spec = withDatabase(serverSpec(), 'no_such_database')
  const error = await failure(
    `postgresql://postgres:${encodeURIComponent(spec.password!)}@127.0.0.1:${spec.port}/no_such_database`,
  )
  assert.equal(error.kind, 'database-missing')
  assert.equal(error.message, `database "no_such_database" does not exist at 127.0.0.1:${spec.port}`)
  assert.match(error.hint ?? '', /createdb -h 127\.0\.0\.1 -p \d+ -U postgres no_such_database/)
})

test('sslmode=require against a server without TLS says so', async () => {
  const spec = serverSpec()
  const error = await failure(
    `postgresql://postgres:${encodeURIComponent(spec.password!)}@127.0.0.1:${spec.port}/postgres?sslmode=require`,
  )
  assert.equal(error.kind, 'tls')
  assert.match(
    error.message,
    /TLS is required \(sslmode=require\) but the server at 127\.0\.0\.1:\d+ does not support it/,
  )
})

test('a server that demands TLS for a role tells the user to turn it on', async (t) => {
  const database = await createTestDatabase(t)
  // The harness's pg_hba.conf rejects unencrypted connections for this role only.
  await database.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'strata_tls_only') THEN
      CREATE ROLE strata_tls_only LOGIN PASSWORD 'x';
    END IF; END $$`)
  const error = await failure(
    `postgresql://strata_tls_only:x@127.0.0.1:${database.spec.port}/${database.name}?sslmode=disable`,
  )
  assert.equal(error.kind, 'tls')
  assert.match(error.message, /requires an encrypted \(TLS\) connection/)
  assert.match(error.hint ?? '', /sslmode=require/)
})

test('PGSERVICE connects through pg_service.conf, as psql does; a service defined nowhere is bad input', async (t) => {
  const database = await createTestDatabase(t)
  const dir = mkdtempSync(join(tmpdir(), 'strata-service-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const { spec } = database
  const file = join(dir, 'services.conf')
  writeFileSync(
    file,
    `[assistant]\nhost=${spec.host}\nport=${spec.port}\ndbname=${spec.database}\nuser=${spec.user}\npassword=${spec.password}\n`,
    { mode: 0o600 },
  )
  const project = testProject(t)
  project.sql('aaa111', { up: 'CREATE TABLE from_service (id int);' })
  const env = { PGSERVICEFILE: file, PGSERVICE: 'assistant', STRATA_NO_DOTENV: '1' }
  const upgraded = await project.cli(['upgrade', 'head', '--no-backup'], env)
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.equal((await database.one("SELECT to_regclass('from_service') IS NOT NULL AS made")).made, true)
  assert.doesNotMatch(upgraded.stdout + upgraded.stderr, new RegExp(spec.password ?? '<none>'))

  const missing = await project.cli(['current'], { ...env, PGSERVICE: 'nope' })
  assert.equal(missing.code, 2)
  assert.match(
    missing.stderr,
    /^error: definition of service "nope" not found\n {2}hint: define \[nope\] in /,
  )
})

test('a password in ~/.pgpass or PGPASSFILE is found as psql finds it, without a deprecation warning', async (t) => {
  const database = await createTestDatabase(t)
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgpass-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const { spec } = database
  writeFileSync(join(dir, '.pgpass'), `${spec.host}:${spec.port}:*:${spec.user}:${spec.password}\n`, {
    mode: 0o600,
  })
  const project = testProject(t)
  project.sql('aaa111', { up: 'CREATE TABLE from_pgpass (id int);' })
  const url = `postgresql://${spec.user}@${spec.host}:${spec.port}/${spec.database}`
  const env = { DATABASE_URL: url, HOME: dir, STRATA_NO_DOTENV: '1' }
  const upgraded = await project.cli(['upgrade', 'head', '--no-backup'], env)
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.doesNotMatch(upgraded.stderr, /DeprecationWarning|pgpass support is deprecated/)
  assert.doesNotMatch(upgraded.stdout + upgraded.stderr, new RegExp(spec.password ?? '<none>'))
  assert.equal((await database.one("SELECT to_regclass('from_pgpass') IS NOT NULL AS made")).made, true)
})
