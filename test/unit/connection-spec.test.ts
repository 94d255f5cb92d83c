import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

test('invalid input is rejected with a reason and never echoes the password', () => {
  assert.throws(
    () => parseConnectionString('postgresql://u:secret@host:99999/db', { env: {} }),
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
