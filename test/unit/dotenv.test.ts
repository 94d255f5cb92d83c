import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { applyDotenv, parseDotenv } from '../../src/config/dotenv.js'
import { tempDir } from '../helpers/temp-dir.js'

test('.env lines as dotenv reads them: export, quotes, escapes, comments, CRLF', () => {
  assert.deepEqual(
    parseDotenv(
      [
        '# the database',
        'export DATABASE_URL="postgresql://app:p#ss@db:5432/app" # production',
        "PGPASSWORD='it''s'",
        'PLAIN = some value  # a comment',
        'EMPTY=',
        'MULTI="line one\\nline two"',
        'HASH_IN_VALUE=abc#def',
        'not a variable line',
        'WINDOWS=yes\r',
      ].join('\n'),
    ),
    {
      DATABASE_URL: 'postgresql://app:p#ss@db:5432/app',
      PGPASSWORD: "it''s",
      PLAIN: 'some value',
      EMPTY: '',
      MULTI: 'line one\nline two',
      HASH_IN_VALUE: 'abc',
      WINDOWS: 'yes',
    },
  )
})

test('the environment wins over .env; STRATA_NO_DOTENV=1 skips it; no file, nothing', (t) => {
  const dir = tempDir(t)
  const env: NodeJS.ProcessEnv = { PGUSER: 'from-env' }
  assert.equal(applyDotenv(dir, env), undefined)
  writeFileSync(join(dir, '.env'), 'PGUSER=from-file\nDATABASE_URL=postgresql://app@db/app\n')
  assert.deepEqual(applyDotenv(dir, env), { file: join(dir, '.env'), keys: ['DATABASE_URL'] })
  assert.equal(env.PGUSER, 'from-env')
  assert.equal(env.DATABASE_URL, 'postgresql://app@db/app')
  const skipped: NodeJS.ProcessEnv = { STRATA_NO_DOTENV: '1' }
  assert.equal(applyDotenv(dir, skipped), undefined)
  assert.equal(skipped.DATABASE_URL, undefined)
})
