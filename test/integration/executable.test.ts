import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'

const root = process.env.STRATA_TEST_ROOT ?? process.cwd()
const dist = join(root, 'dist')

function buildId(): string {
  const id = /^\/\/ strata-cli build ([0-9a-f]+)\n/.exec(
    readFileSync(join(dist, 'strata-cli.cjs'), 'utf8'),
  )?.[1]
  assert.ok(id, 'the bundle names its build on its first line')
  return id
}

test('the build writes one code cache, for this bundle, that V8 accepts under the launcher’s flags', () => {
  const caches = readdirSync(dist).filter((file) => file.endsWith('.cache'))
  assert.deepEqual(caches, [`strata-cli.${buildId()}.cache`])
  // The launcher's way of compiling the bundle, in a process of its own (the flag is
  // process-wide): V8 says whether it used the cache.
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `require('node:v8').setFlagsFromString('--liftoff-only')
       const { readFileSync } = require('node:fs')
       const { Script } = require('node:vm')
       const source = readFileSync(process.argv[1], 'utf8')
       const script = new Script(require('node:module').wrap(source), { cachedData: readFileSync(process.argv[2]) })
       process.stdout.write(String(script.cachedDataRejected))`,
      join(dist, 'strata-cli.cjs'),
      join(dist, caches[0]!),
    ],
    { encoding: 'utf8' },
  )
  assert.equal(probe.stderr, '')
  assert.equal(probe.stdout, 'false')
})

test('a damaged or missing code cache only costs speed: the executable still runs', async (t) => {
  // A copy of the executable beside the project, so that it still finds package.json
  // and node_modules by walking up from its directory.
  const copy = join(root, 'build', `executable-test-${process.pid}`)
  t.after(() => rmSync(copy, { recursive: true, force: true }))
  mkdirSync(join(copy, 'dist'), { recursive: true })
  copyFileSync(join(root, 'package.json'), join(copy, 'package.json'))
  for (const file of ['strata.cjs', 'strata-cli.cjs', 'libpg-query.wasm'])
    copyFileSync(join(dist, file), join(copy, 'dist', file))
  const sql = join(tempDir(t), 'add_index.sql')
  writeFileSync(sql, 'CREATE INDEX ix_users_email ON users (email);\n')
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(copy, 'dist', 'strata.cjs'), ...args], { encoding: 'utf8' })

  const withoutCache = run(['check', '--offline', sql])
  assert.equal(withoutCache.status, 1, withoutCache.stderr)
  assert.match(withoutCache.stdout, /require-concurrent-index|CONCURRENTLY/)

  writeFileSync(join(copy, 'dist', `strata-cli.${buildId()}.cache`), 'not a V8 code cache')
  const damaged = run(['check', '--offline', sql])
  assert.equal(damaged.status, 1, damaged.stderr)
  assert.equal(damaged.stdout, withoutCache.stdout)
  assert.equal(
    run(['--version']).stdout.trim(),
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  )
})

test('JSON on stdout is compact when piped, so a program reads half the bytes', async (t) => {
  const sql = join(tempDir(t), 'create_notes.sql')
  writeFileSync(sql, 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n')
  const report = await runCli(['check', '--offline', '--format', 'json', sql])
  assert.equal(report.code, 0, report.stderr)
  assert.equal(report.stdout.trim().split('\n').length, 1)
  assert.equal(JSON.parse(report.stdout).migrations[0].classification.class, 'additive')
  const failure = await runCli(['--json', 'check', '--offline', join(tempDir(t), 'missing.sql')])
  assert.equal(failure.code, 2)
  assert.equal(failure.stdout.trim().split('\n').length, 1)
  assert.equal(JSON.parse(failure.stdout).ok, false)
})
