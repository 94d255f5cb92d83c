import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.js'
import { createTestDatabase } from '../helpers/database.js'
import { tempDir } from '../helpers/temp-dir.js'

// Config loading is exercised through the compiled CLI, in directories outside the
// repository: `import { defineConfig } from 'strata'` must work where strata is not installed.

async function statusWith(
  t: Parameters<typeof tempDir>[0],
  file: string,
  text: string,
  env: NodeJS.ProcessEnv = {},
) {
  const dir = tempDir(t)
  writeFileSync(join(dir, file), text)
  return { dir, result: await runCli(['dev', 'status', '--json'], { cwd: dir, env }) }
}

test('a TypeScript config using defineConfig from strata loads where strata is not installed', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.ts',
    `import { defineConfig } from 'strata'
interface Port { value: number }
const port: Port = { value: 6543 }
export default defineConfig({ dev: { port: port.value, database: 'app' } })
`,
  )
  assert.equal(result.code, 0, result.stderr)
  const status = JSON.parse(result.stdout)
  assert.equal(status.port, 6543)
  assert.equal(status.database, 'app')
})

test('plain export default works in .js, .mjs and .json configs', async (t) => {
  for (const [file, text] of [
    ['strata.config.js', 'export default { dev: { port: 6001 } }\n'],
    ['strata.config.mjs', 'export default { dev: { port: 6002 } }\n'],
    ['strata.config.json', '{ "dev": { "port": 6003 } }\n'],
  ] as const) {
    const { result } = await statusWith(t, file, text)
    assert.equal(result.code, 0, `${file}: ${result.stderr}`)
    assert.equal(JSON.parse(result.stdout).port, Number(text.match(/\d{4}/)![0]))
  }
})

test("inside a git repository, a command run in a subdirectory uses the project's config, as git finds its own; outside one, only the working directory's", async (t) => {
  const repo = tempDir(t)
  mkdirSync(join(repo, '.git'))
  writeFileSync(join(repo, 'strata.config.json'), '{ "dev": { "port": 6011 } }\n')
  mkdirSync(join(repo, 'src', 'db'), { recursive: true })
  const nested = await runCli(['dev', 'status', '--json'], { cwd: join(repo, 'src', 'db') })
  assert.equal(nested.code, 0, nested.stderr)
  const status = JSON.parse(nested.stdout)
  assert.equal(status.port, 6011)
  // The development server's files are the project's, beside its config, not the subdirectory's.
  assert.equal(status.dataDir, join(repo, '.strata', 'pg'))

  // Not a repository: a config in a parent directory is not the project's.
  const plain = tempDir(t)
  writeFileSync(join(plain, 'strata.config.json'), '{ "dev": { "port": 6012 } }\n')
  mkdirSync(join(plain, 'sub'))
  const outside = await runCli(['dev', 'status', '--json'], { cwd: join(plain, 'sub') })
  assert.equal(outside.code, 0, outside.stderr)
  assert.notEqual(JSON.parse(outside.stdout).port, 6012)
})

test('a syntax error names the file and line, exit 2, no stack trace', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.ts',
    'export default {\n  dev: { port: 5433 \n}\nconst = 1\n',
  )
  assert.equal(result.code, 2)
  assert.match(result.stderr, /^error: strata\.config\.ts:\d+: syntax error/)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace without --debug')
})

test('a config that throws while loading is reported with its line', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.ts',
    "const base = 'x'\nthrow new Error('vault unreachable')\nexport default {}\n",
  )
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    /error: strata\.config\.ts:2: the config threw while loading: vault unreachable/,
  )
})

test('wrong types and unknown keys are named with the closest valid key', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.json',
    '{ "databses": {}, "dev": { "port": "5433" } }',
  )
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    /strata\.config\.json: databses: unknown key "databses" at the top level\. Did you mean "databases"\?/,
  )
  assert.match(
    result.stderr,
    /strata\.config\.json: dev\.port: expected an integer from 1 to 65535, found the string "5433"/,
  )
})

test('a missing environment variable is named with the key that uses it', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.json',
    '{ "dev": { "dataDir": "${STRATA_T_MISSING}/pg" } }',
  )
  assert.equal(result.code, 2)
  assert.match(result.stderr, /environment variable STRATA_T_MISSING is not set \(used by dev\.dataDir\)/)
  assert.match(result.stderr, /hint: export STRATA_T_MISSING=/)
})

test('a DATABASE_URL without its scheme is refused with the URL it meant, and its password is never shown', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'migrations', 'versions'), { recursive: true })
  const result = await runCli(['current'], {
    cwd: dir,
    env: { DATABASE_URL: 'app:hunter2@db.internal:5432/app', STRATA_NO_DOTENV: '1' },
  })
  assert.equal(result.code, 2)
  assert.equal(
    result.stderr,
    'error: invalid connection string app:***@db.internal:5432/app\n  at: DATABASE_URL\n  hint: a URL starts with its scheme: postgresql://app:***@db.internal:5432/app\n',
  )
})

test('a database written as $NAME, as a shell would, is told to use ${NAME}', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'strata.config.json'), '{ "databases": { "primary": "$PRIMARY_DB_URL" } }')
  mkdirSync(join(dir, 'migrations', 'versions'), { recursive: true })
  const result = await runCli(['current'], {
    cwd: dir,
    env: { PRIMARY_DB_URL: 'postgresql://x@127.0.0.1:1/x' },
  })
  assert.equal(result.code, 2)
  assert.match(
    result.stderr,
    /^error: invalid connection string \$PRIMARY_DB_URL\n {2}at: databases\.primary in /,
  )
  assert.match(
    result.stderr,
    /hint: the config expands \$\{PRIMARY_DB_URL\} \(with braces\), not \$PRIMARY_DB_URL: write '\$\{PRIMARY_DB_URL\}'/,
  )
})

test('invalid JSON and a missing -c file are clear errors', async (t) => {
  const { result } = await statusWith(
    t,
    'strata.config.json',
    '{\n  "databases": { "main": "postgresql://app:hunter2@db/app", },\n  "default": "main"\n}\n',
  )
  assert.equal(result.code, 2)
  // The line and column, with the line itself (its password masked), instead of an offset.
  assert.match(
    result.stderr,
    /strata\.config\.json is not valid JSON: .*\(line 2, column 61: "databases": \{ "main": "postgresql:\/\/app:\*\*\*@db\/app", \},\)\n {2}at: strata\.config\.json:2:61\n/,
  )
  assert.doesNotMatch(result.stderr, /hunter2|position \d/)
  const missing = await runCli(['dev', 'status', '-c', 'nope.config.ts'], { cwd: tempDir(t) })
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /config file nope\.config\.ts does not exist/)
  // -c DIR reads the project's config in that directory, as if run there.
  const other = tempDir(t)
  writeFileSync(join(other, 'strata.config.json'), JSON.stringify({ dev: { port: 5999 } }))
  const inDir = await runCli(['dev', 'status', '--json', '-c', other], { cwd: tempDir(t) })
  assert.equal(inDir.code, 0, inDir.stderr)
  assert.equal(JSON.parse(inDir.stdout).port, 5999)
  // Saved by a Windows editor, with a byte-order mark before the JSON: read as the same config.
  writeFileSync(join(other, 'strata.config.json'), `\uFEFF${JSON.stringify({ dev: { port: 5998 } })}`)
  const withMark = await runCli(['dev', 'status', '--json', '-c', other])
  assert.equal(withMark.code, 0, withMark.stderr)
  assert.equal(JSON.parse(withMark.stdout).port, 5998)
  const empty = tempDir(t)
  const noConfig = await runCli(['dev', 'status', '-c', empty])
  assert.equal(noConfig.code, 2)
  assert.match(
    noConfig.stderr,
    /is a directory without a config file \(strata\.config\.ts, .*\)\n {2}hint: name the config file with -c\/--config, or create one there: strata init /,
  )
  // migrations.directories naming a file is bad configuration, not an unexpected error.
  writeFileSync(join(other, 'notes.txt'), '')
  writeFileSync(
    join(other, 'strata.config.json'),
    JSON.stringify({ migrations: { directories: ['notes.txt'] } }),
  )
  const fileAsDirectory = await runCli(['history'], { cwd: other })
  assert.equal(fileAsDirectory.code, 2, fileAsDirectory.stderr)
  assert.match(
    fileAsDirectory.stderr,
    /^error: the migrations directory \S+notes\.txt is a file, not a directory\n {2}at: migrations\.directories\n/,
  )
})

test('--debug adds the stack trace, at the lines of src/ rather than of the bundle', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'strata.config.ts'), "throw new Error('boom')\nexport default {}\n")
  const result = await runCli(['dev', 'status', '--debug'], { cwd: dir })
  assert.equal(result.code, 2)
  assert.match(result.stderr, /\n\s+at /)
  assert.match(result.stderr, /\(src\/config\/load-config\.ts:\d+:\d+\)/)
  assert.doesNotMatch(result.stderr, /strata-cli\.cjs:\d+/)
})

test("the project's .env supplies DATABASE_URL (said once on stderr); the environment's own value wins", async (t) => {
  const database = await createTestDatabase(t)
  const dir = tempDir(t)
  mkdirSync(join(dir, 'migrations', 'versions'), { recursive: true })
  writeFileSync(
    join(dir, 'migrations', 'versions', 'aaa111_t.sql'),
    '-- revision: aaa111\n-- down_revision: none\n-- migrate:up\nCREATE TABLE from_dotenv (id int);\n-- migrate:down\nDROP TABLE from_dotenv;\n',
  )
  writeFileSync(join(dir, '.env'), `# local\nexport DATABASE_URL="${database.url}"\n`, { mode: 0o600 })
  const upgraded = await runCli(['upgrade', 'head'], { cwd: dir })
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.match(
    upgraded.stderr,
    /^Using DATABASE_URL from \.env \(the environment's own value wins; STRATA_NO_DOTENV=1 skips the file\)\n/,
  )
  assert.doesNotMatch(upgraded.stderr, new RegExp(database.spec.password!))
  assert.equal((await database.one("SELECT to_regclass('from_dotenv') IS NOT NULL AS present")).present, true)

  const overridden = await runCli(['current'], {
    cwd: dir,
    env: { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none?connect_timeout=2' },
  })
  assert.equal(overridden.code, 1)
  assert.match(overridden.stderr, /connection refused at 127\.0\.0\.1:1/)
  assert.doesNotMatch(overridden.stderr, /from \.env/)
})
