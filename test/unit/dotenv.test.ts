import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { applyDotenv, parseDotenv, readDotenv } from '../../src/config/dotenv.js'
import { tempDir } from '../helpers/temp-dir.js'

test('a .env saved with a byte-order mark keeps its first variable', () => {
  assert.deepEqual(parseDotenv('\uFEFFDATABASE_URL=postgresql://app@db/app\r\nPGPORT=5433\r\n'), {
    DATABASE_URL: 'postgresql://app@db/app',
    PGPORT: '5433',
  })
})

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

test('${NAME} and ${NAME:-fallback} in .env values expand from the environment, then the file; single quotes and a bare $ stay literal', () => {
  const text = [
    'DB_HOST=db.internal',
    'DATABASE_URL="postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT:-5432}/${DB_NAME}"',
    'DB_USER=app',
    'DB_NAME=${DB_USER}_prod',
    "LITERAL='${DB_USER}'",
    'PGPASSWORD=pa$word',
    'CYCLE_A=${CYCLE_B}',
    'CYCLE_B=${CYCLE_A}',
  ].join('\n')
  const { values, unresolved } = readDotenv(text, { DB_PASSWORD: 's3cret', DB_HOST: 'from-env' })
  // Later lines may be referred to too; the environment wins over the file, as it does for the keys themselves.
  assert.equal(values.DATABASE_URL, 'postgresql://app:s3cret@from-env:5432/app_prod')
  assert.equal(values.LITERAL, '${DB_USER}')
  assert.equal(values.PGPASSWORD, 'pa$word')
  // A cycle resolves to nothing: both keys are left out, each naming what it waited for.
  assert.deepEqual(unresolved.map((u) => `${u.key}:${u.line} ${u.names.join(',')}`).sort(), [
    'CYCLE_A:7 CYCLE_B',
    'CYCLE_B:8 CYCLE_A',
  ])
  assert.equal(values.CYCLE_A, undefined)
})

test('$NAME expands as dotenv-expand (Prisma) reads it, only for a variable that is set; \\$ is a literal $', () => {
  const text = [
    'DB_PASSWORD=s3cret',
    'DATABASE_URL=postgresql://app:$DB_PASSWORD@$DB_HOST/app',
    'PRISMA_STYLE="postgresql://$DB_USER:$DB_PASSWORD@db/app"',
    'PGPASSWORD=pa$word$',
    'ESCAPED=pa\\$DB_PASSWORD',
    "QUOTED='$DB_PASSWORD'",
  ].join('\n')
  const { values, unresolved } = readDotenv(text, { DB_HOST: 'db.internal', DB_USER: 'app' })
  assert.equal(values.DATABASE_URL, 'postgresql://app:s3cret@db.internal/app')
  assert.equal(values.PRISMA_STYLE, 'postgresql://app:s3cret@db/app')
  // Set nowhere: a password's own $, kept as written (and never reported as missing).
  assert.equal(values.PGPASSWORD, 'pa$word$')
  assert.equal(values.ESCAPED, 'pa$DB_PASSWORD')
  assert.equal(values.QUOTED, '$DB_PASSWORD')
  assert.deepEqual(unresolved, [])
})

test('a DATABASE_URL in .env that refers to a variable set nowhere is refused with its line, not left empty', (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, '.env'),
    'DB_USER=app\nDATABASE_URL=postgresql://${DB_USER}:${DB_PASSWORD}@db/app\nOTHER=${NOT_SET}\n',
  )
  const env: NodeJS.ProcessEnv = {}
  assert.throws(
    () => applyDotenv(dir, env),
    (error: Error & { hint?: string }) =>
      /\.env:2: DATABASE_URL uses \$\{DB_PASSWORD\}, which is not set$/.test(error.message) &&
      /set DB_PASSWORD in the environment or in \.env, or write \$\{DB_PASSWORD:-default\}/.test(
        error.hint ?? '',
      ),
  )
  assert.equal(env.DATABASE_URL, undefined)
  // Set in the environment, it resolves; a variable strata does not read is left out quietly.
  const withPassword: NodeJS.ProcessEnv = { DB_PASSWORD: 'x' }
  assert.deepEqual(applyDotenv(dir, withPassword)?.keys, ['DB_USER', 'DATABASE_URL'])
  assert.equal(withPassword.DATABASE_URL, 'postgresql://app:x@db/app')
  assert.equal(withPassword.OTHER, undefined)
})
