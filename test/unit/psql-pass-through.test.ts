import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildProgram } from '../../src/cli/program.js'
import { passArgumentsToPsql } from '../../src/cli/psql-pass-through.js'

const argv = (...words: string[]) => ['node', 'strata', ...words]
const pass = (...words: string[]) => passArgumentsToPsql(buildProgram(), argv(...words)).slice(2)

test("after `strata dev psql` every argument is psql's; Strata's options before it stay Strata's", () => {
  assert.deepEqual(pass('dev', 'psql', '-c', 'SELECT 1'), ['dev', 'psql', '--', '-c', 'SELECT 1'])
  assert.deepEqual(pass('-c', 'prod.ts', '-n', 'main', 'dev', 'psql', '-At'), [
    '-c',
    'prod.ts',
    '-n',
    'main',
    'dev',
    'psql',
    '--',
    '-At',
  ])
  assert.deepEqual(pass('--config', 'dev', 'dev', 'psql', '-x'), [
    '--config',
    'dev',
    'dev',
    'psql',
    '--',
    '-x',
  ])
  assert.deepEqual(
    pass('dev', 'psql', '--', '-c', 'x'),
    ['dev', 'psql', '--', '-c', 'x'],
    'an explicit -- is kept',
  )
  assert.deepEqual(pass('dev', 'psql'), ['dev', 'psql', '--'])
})

test('other commands are left as typed', () => {
  for (const words of [
    ['upgrade', 'head', '-c', 'x.ts'],
    ['dev', 'start', '-c', 'x.ts'],
    ['check', 'psql', '-c', 'x.ts'],
    ['-c', 'psql', 'dev', 'url'],
    [],
  ])
    assert.deepEqual(pass(...words), words)
})
