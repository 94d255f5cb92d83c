import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { InvalidInputError } from '../../src/errors/index.js'
import { readTenantList } from '../../src/fleet/tenant-list-file.js'
import { tempDir } from '../helpers/temp-dir.js'

function listFile(t: Parameters<typeof tempDir>[0], text: string): string {
  const file = join(tempDir(t), 'tenants.txt')
  writeFileSync(file, text)
  return file
}

test('a list saved by a Windows editor (byte-order mark, CRLF) reads as any other', (t) => {
  const file = listFile(t, '\uFEFFtenant_acme\r\ntenant_globex\r\n')
  assert.deepEqual(readTenantList(file), [
    { kind: 'database', database: 'tenant_acme', line: 1 },
    { kind: 'database', database: 'tenant_globex', line: 2 },
  ])
})

test('a tenant list: names, schemas and URLs, SQLAlchemy URLs among them; comments and blank lines skipped', (t) => {
  const file = listFile(
    t,
    [
      '# tenants of the EU region',
      'tenant_acme',
      '',
      'schema:tenant_globex   # moved into the shared database',
      'postgresql://app@db-eu:5432/tenant_initech',
      'postgresql+psycopg2://app@db-eu:5432/tenant_hooli',
      '',
    ].join('\n'),
  )
  assert.deepEqual(readTenantList(file), [
    { kind: 'database', database: 'tenant_acme', line: 2 },
    { kind: 'schema', schema: 'tenant_globex', line: 4 },
    { kind: 'url', url: 'postgresql://app@db-eu:5432/tenant_initech', line: 5 },
    { kind: 'url', url: 'postgresql+psycopg2://app@db-eu:5432/tenant_hooli', line: 6 },
  ])
})

test('a line that is neither a name nor a PostgreSQL URL is refused with its line and the fix', (t) => {
  const cases: [string, RegExp, RegExp][] = [
    [
      'mysql://app@db/tenant_x',
      /tenants\.txt:2: "mysql:\/\/" is not a PostgreSQL URL/,
      /postgresql:\/\/user@host/,
    ],
    [
      'db-eu:5432/tenant_x',
      /"db-eu:5432\/tenant_x" is neither a database name nor a URL/,
      /postgresql:\/\/db-eu:5432\/tenant_x/,
    ],
  ]
  for (const [line, message, hint] of cases) {
    const file = listFile(t, `tenant_ok\n${line}\n`)
    assert.throws(
      () => readTenantList(file),
      (error: unknown) =>
        error instanceof InvalidInputError &&
        message.test(error.message) &&
        hint.test(error.hint ?? '') &&
        error.exitCode === 2,
    )
  }
})
