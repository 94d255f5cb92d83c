import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { maskedUrl, parseConnectionString, specFromEnv } from '../../src/db/connection-spec.js'
import { InvalidInputError } from '../../src/errors/index.js'

test('a URL gives every part, with percent-decoding', () => {
  const spec = parseConnectionString(
    'postgresql://assistant:p%40ss@db.example:5433/assistant?sslmode=require',
    { env: {} },
  )
  assert.equal(spec.host, 'db.example')
  assert.equal(spec.port, 5433)
  assert.equal(spec.user, 'assistant')
  assert.equal(spec.password, 'p@ss')
  assert.equal(spec.database, 'assistant')
  assert.equal(spec.sslmode, 'require')
  assert.equal(spec.applicationName, 'strata')
})

test("an Alembic project's SQLAlchemy URL works as it is written in alembic.ini (the Python driver is ignored)", () => {
  for (const scheme of ['postgresql+psycopg2', 'postgresql+asyncpg', 'postgres+psycopg']) {
    const spec = parseConnectionString(`${scheme}://assistant:assistant@localhost:5433/assistant`, {
      env: {},
    })
    assert.deepEqual(
      [spec.host, spec.port, spec.user, spec.password, spec.database],
      ['localhost', 5433, 'assistant', 'assistant', 'assistant'],
    )
  }
})

test('missing URL parts fall back to PG* variables, then libpq defaults', () => {
  const spec = parseConnectionString('postgresql:///?sslmode=disable', {
    env: { PGHOST: 'envhost', PGPORT: '6000', PGUSER: 'envuser', PGPASSWORD: 'envpw' },
  })
  assert.equal(spec.host, 'envhost')
  assert.equal(spec.port, 6000)
  assert.equal(spec.user, 'envuser')
  assert.equal(spec.password, 'envpw')
  assert.equal(spec.database, 'envuser', 'libpq: the database defaults to the user name')
  const bare = specFromEnv({ env: { PGUSER: 'u' } })
  assert.equal(bare.host, 'localhost')
  assert.equal(bare.port, 5432)
})

test('libpq keyword/value strings are understood', () => {
  const spec = parseConnectionString(
    "host=db port=5433 dbname=assistant user=a password='x y' connect_timeout=3",
    {
      env: {},
    },
  )
  assert.deepEqual(
    [spec.host, spec.port, spec.database, spec.user, spec.password, spec.connectTimeout],
    ['db', 5433, 'assistant', 'a', 'x y', 3],
  )
})

test('the password can come from a passfile named in the URL', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgpass-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'pgpass')
  writeFileSync(file, 'other:*:*:*:wrong\n127.0.0.1:*:*:postgres:right\\:one\n', { mode: 0o600 })
  const spec = parseConnectionString(`postgresql://postgres@127.0.0.1:5433/x?passfile=${file}`, { env: {} })
  assert.equal(spec.password, 'right:one')
})

test('without one named, the password comes from PGPASSFILE or ~/.pgpass, as libpq finds it; a file others may read is ignored', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgpass-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'pgpass')
  writeFileSync(file, '127.0.0.1:5433:*:app:from-pgpassfile\nlocalhost:*:*:app:from-socket\n', {
    mode: 0o600,
  })
  const url = 'postgresql://app@127.0.0.1:5433/x'
  assert.equal(parseConnectionString(url, { env: { PGPASSFILE: file } }).password, 'from-pgpassfile')
  writeFileSync(join(dir, '.pgpass'), '*:*:*:app:from-home\n', { mode: 0o600 })
  assert.equal(parseConnectionString(url, { env: { HOME: dir } }).password, 'from-home')
  // A Unix socket connection is matched as localhost.
  assert.equal(
    parseConnectionString('postgresql://app@%2Ftmp:5433/x', { env: { PGPASSFILE: file } }).password,
    'from-socket',
  )
  // A password given wins; a missing file is no error.
  assert.equal(
    parseConnectionString('postgresql://app:given@127.0.0.1:5433/x', { env: { PGPASSFILE: file } }).password,
    'given',
  )
  assert.equal(parseConnectionString(url, { env: { PGPASSFILE: join(dir, 'none') } }).password, undefined)
  chmodSync(file, 0o644)
  assert.equal(
    parseConnectionString(url, { env: { PGPASSFILE: file } }).password,
    undefined,
    'world-readable: ignored',
  )
})

test('a URL written without its scheme gets the URL it meant, the password still masked', () => {
  assert.throws(
    () => parseConnectionString('localhost:5432/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.hint === 'a URL starts with its scheme: postgresql://localhost:5432/app',
  )
  assert.throws(
    () => parseConnectionString('app:hunter2@db.internal:5432/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      /postgresql:\/\/app:\*+@db\.internal:5432\/app/.test(error.hint ?? '') &&
      !`${error.message} ${error.hint}`.includes('hunter2'),
  )
})

test("an empty string, or another database's URL, is said to be that", () => {
  assert.throws(
    () => parseConnectionString('  ', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message === 'the connection string is empty' &&
      /that variable is set but empty/.test(error.hint ?? ''),
  )
  assert.throws(
    () => parseConnectionString('mysql://app:hunter2@db/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message === 'mysql://app:***@db/app is a mysql: URL, not a PostgreSQL one',
  )
  assert.throws(
    () => parseConnectionString('jdbc:postgresql://db:5432/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError && error.hint === 'drop the jdbc: prefix: postgresql://db:5432/app',
  )
  // SQLAlchemy's driver forms stay PostgreSQL URLs.
  assert.equal(parseConnectionString('postgresql+asyncpg://app@db/app', { env: {} }).host, 'db')
})

test('invalid input is rejected with a reason and never echoes the password', () => {
  assert.throws(
    () => parseConnectionString('postgresql://u:secret@host:5432x/db', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      /invalid/.test(error.message) &&
      !error.message.includes('secret'),
  )
  assert.throws(
    () => parseConnectionString('postgresql://u@h/db?sslmode=sometimes', { env: {} }),
    /invalid sslmode "sometimes"/,
  )
  assert.throws(() => parseConnectionString('just words', { env: {} }), /invalid connection string/)
  // A password written as it is, with a bare %: refused as libpq refuses it, not echoed.
  assert.throws(
    () => parseConnectionString('postgresql://app:s3cr%t@localhost:5433/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message ===
        "the connection URL's password is not valid percent-encoding: a % must be followed by two hex digits" &&
      /% as %25/.test(error.hint ?? '') &&
      !`${error.message}${error.hint}`.includes('s3cr'),
  )
  assert.equal(
    parseConnectionString('postgresql://app:s3cr%25t@localhost/app', { env: {} }).password,
    's3cr%t',
  )
})

test('maskedUrl never contains the password', () => {
  const spec = parseConnectionString('postgresql://assistant:topsecret@localhost:5433/assistant', { env: {} })
  assert.equal(maskedUrl(spec), 'postgresql://assistant:***@localhost:5433/assistant')
  const noPassword = parseConnectionString('postgresql://assistant@localhost:5433/assistant', { env: {} })
  assert.equal(maskedUrl(noPassword), 'postgresql://assistant@localhost:5433/assistant')
})

test("several hosts, as libpq takes them: a URL's host list, keyword lists, one port for all or one each", () => {
  const url = parseConnectionString(
    'postgresql://app:pw@db1:5433,db2,[::1]:5434/app?target_session_attrs=read-write',
    { env: {} },
  )
  assert.deepEqual(url.hosts, [
    { host: 'db1', port: 5433 },
    { host: 'db2', port: 5432 },
    { host: '::1', port: 5434 },
  ])
  assert.equal(url.host, 'db1', 'the first until a connection settles on one')
  assert.equal(url.port, 5433)
  assert.equal(url.targetSessionAttrs, 'read-write')
  assert.equal(url.user, 'app')
  assert.equal(url.database, 'app')

  const keywords = parseConnectionString('host=db1,db2 port=6432 dbname=app target_session_attrs=primary', {
    env: {},
  })
  assert.deepEqual(keywords.hosts, [
    { host: 'db1', port: 6432 },
    { host: 'db2', port: 6432 },
  ])
  assert.equal(keywords.targetSessionAttrs, 'primary')

  const fromEnv = parseConnectionString('dbname=app', {
    env: { PGHOST: 'db1,db2', PGPORT: '5432,5433', PGTARGETSESSIONATTRS: 'read-write' },
  })
  assert.deepEqual(fromEnv.hosts, [
    { host: 'db1', port: 5432 },
    { host: 'db2', port: 5433 },
  ])

  const one = parseConnectionString('postgresql://app@db1:5433/app', { env: {} })
  assert.equal(one.hosts, undefined, 'one host: no list')
  assert.equal(one.targetSessionAttrs, undefined)
})

test('a URL without a host (a Unix socket given as ?host=) parses as psql reads it, also as maskedUrl writes it', () => {
  const socket = parseConnectionString('postgresql://app@/db?host=/var/run/postgresql&port=5433', { env: {} })
  assert.equal(socket.host, '/var/run/postgresql')
  assert.equal(socket.port, 5433)
  assert.equal(socket.user, 'app')
  assert.equal(socket.database, 'db')
  const again = parseConnectionString(maskedUrl(socket).replace('***', 'pw'), { env: {} })
  assert.equal(again.host, '/var/run/postgresql')
  assert.equal(again.port, 5433)
  assert.equal(parseConnectionString('postgresql:///db', { env: {} }).host, 'localhost')
})

test('host and port lists that do not pair up, and an unknown target_session_attrs, are refused', () => {
  assert.throws(
    () => parseConnectionString('host=db1,db2,db3 port=5432,5433 dbname=app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message === '3 hosts but 2 ports in the connection string' &&
      /one port for every host, or one port per host/.test(error.hint ?? ''),
  )
  assert.throws(
    () => parseConnectionString('postgresql://db1,db2/app?target_session_attrs=master', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message === 'invalid target_session_attrs "master"' &&
      /read-write finds the primary/.test(error.hint ?? ''),
  )
})

test('a libpq service (service= or PGSERVICE) fills in what the connection string leaves out, over the PG* variables', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-service-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const userFile = join(dir, 'user.conf')
  writeFileSync(
    userFile,
    '# services\n[prod]\nhost=db.internal\nport=6543\ndbname=assistant\nuser=app\nsslmode=require\n\n[other]\nhost=elsewhere\n',
  )
  mkdirSync(join(dir, 'sys'))
  writeFileSync(
    join(dir, 'sys', 'pg_service.conf'),
    '[staging]\nhost=staging.internal\ndbname=assistant_staging\n',
  )
  const env = { PGSERVICEFILE: userFile, PGSYSCONFDIR: join(dir, 'sys'), PGHOST: 'from-env', HOME: dir }

  const fromEnv = specFromEnv({ env: { ...env, PGSERVICE: 'prod' } })
  assert.deepEqual(
    [fromEnv.host, fromEnv.port, fromEnv.database, fromEnv.user, fromEnv.sslmode],
    ['db.internal', 6543, 'assistant', 'app', 'require'],
  )
  // The connection string wins over the service; the system file is read when the user's lacks it.
  const url = parseConnectionString('postgresql://admin@/?service=prod&port=7000', { env })
  assert.deepEqual([url.host, url.port, url.user, url.database], ['db.internal', 7000, 'admin', 'assistant'])
  const staging = parseConnectionString('service=staging', { env })
  assert.deepEqual([staging.host, staging.database], ['staging.internal', 'assistant_staging'])

  assert.throws(
    () => parseConnectionString('service=nope', { env }),
    (error: InvalidInputError) =>
      error.message === 'definition of service "nope" not found' && error.hint!.includes(userFile),
  )
})

test("a Prisma URL's schema becomes the sessions' search path, beside any options; pgbouncer=true marks it pooled", () => {
  const prisma = parseConnectionString('postgresql://app@db:5432/shop?schema=tenant%20one&pgbouncer=true', {
    env: {},
  })
  assert.equal(prisma.options, '-c search_path="tenant\\ one"')
  assert.equal(prisma.throughPgbouncer, true)
  const both = parseConnectionString(
    'postgresql://app@db/shop?options=-c%20statement_timeout%3D0&schema=app',
    { env: {} },
  )
  assert.equal(both.options, '-c statement_timeout=0 -c search_path="app"')
  assert.equal(both.throughPgbouncer, undefined)
  assert.equal(
    parseConnectionString('postgresql://app@db/shop?pgbouncer=false', { env: {} }).throughPgbouncer,
    undefined,
  )
})

test('a port past 65535 is named as such, not as a broken URL', () => {
  assert.throws(
    () => parseConnectionString('postgresql://app:hunter2@db:99999/app', { env: {} }),
    (error: unknown) =>
      error instanceof InvalidInputError &&
      error.message === "the connection URL's port 99999 is not a TCP port (1 to 65535)" &&
      !`${error.message} ${error.hint}`.includes('hunter2'),
  )
  assert.equal(parseConnectionString('postgresql://app@db:65535/app', { env: {} }).port, 65535)
})

test('a password with an unencoded # / or ? is named as such, not read as another host', () => {
  for (const [url, character, secret] of [
    ['postgresql://app:pa#ss@db.example/app', '#', 'pa#ss'],
    ['postgresql://app:p@ss/w0rd@db.example:5433/app', '/', 'w0rd'],
    ['postgres://app:what?@db.example/app?sslmode=require', '?', 'what'],
  ] as const)
    assert.throws(
      () => parseConnectionString(url, { env: {} }),
      (error: Error) =>
        error instanceof InvalidInputError &&
        error.message.includes(`holds "${character}"`) &&
        !error.message.includes(secret) &&
        /percent-encode it in the URL: # → %23, \/ → %2F/.test(error.hint ?? ''),
    )
  // An @ in a query value is not that mistake; an @ in the password is fine as it is.
  assert.equal(parseConnectionString('postgresql://db.example:5432/app?user=a@b', { env: {} }).user, 'a@b')
  assert.equal(parseConnectionString('postgresql://app:p@ss@db.example/app', { env: {} }).password, 'p@ss')
})
