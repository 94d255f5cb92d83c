import assert from 'node:assert/strict'
import { test } from 'node:test'
import { maskedJson, maskSecrets } from '../../src/util/mask-secrets.js'

test('URL passwords are masked', () => {
  assert.equal(
    maskSecrets('cannot reach postgresql://assistant:s3cr3t@db:5433/assistant now'),
    'cannot reach postgresql://assistant:***@db:5433/assistant now',
  )
  assert.equal(maskSecrets('postgres://u:p%40ss@h/d'), 'postgres://u:***@h/d')
  // written as they are, not percent-encoded: nothing of them shows
  assert.equal(
    maskSecrets('invalid URL postgres://app:pa/ss@h:5433/app'),
    'invalid URL postgres://app:***@h:5433/app',
  )
  assert.equal(maskSecrets('postgres://app:p@ss@h/app and more'), 'postgres://app:***@h/app and more')
})

test('keyword passwords and PGPASSWORD assignments are masked', () => {
  assert.equal(maskSecrets('host=db password=hunter2 dbname=x'), 'host=db password=*** dbname=x')
  assert.equal(maskSecrets("password='a b c' user=x"), 'password=*** user=x')
  assert.equal(maskSecrets('PGPASSWORD=assistant pg_dump'), 'PGPASSWORD=*** pg_dump')
})

test("SQL's PASSWORD literals are masked (a role created or altered in a query on show)", () => {
  assert.equal(
    maskSecrets(
      "blocked by pid 7: ALTER ROLE app WITH ENCRYPTED PASSWORD 'it''s s3cret' VALID UNTIL 'infinity'",
    ),
    "blocked by pid 7: ALTER ROLE app WITH ENCRYPTED PASSWORD '***' VALID UNTIL 'infinity'",
  )
  assert.equal(maskSecrets("CREATE ROLE r LOGIN password 'x'"), "CREATE ROLE r LOGIN password '***'")
})

test('text without secrets is unchanged', () => {
  const text = 'postgresql://assistant@db:5433/assistant has no password'
  assert.equal(maskSecrets(text), text)
})

test('JSON keeps its shape: each string value is masked, not the serialized text', () => {
  const json = maskedJson({ error: 'host=db password=hunter2', url: 'postgresql://u:p@h/d', n: 1 }, 2)
  assert.deepEqual(JSON.parse(json), { error: 'host=db password=***', url: 'postgresql://u:***@h/d', n: 1 })
})
