import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../helpers/temp-dir.js'

const module = resolve(import.meta.dirname, '../../src/util/remove-on-exit.ts')

test('a registered partial file or directory is removed when the process exits at once; one forgotten is kept', (t) => {
  const dir = tempDir(t)
  const file = join(dir, '.app_20261202_080000.partial')
  const folder = join(dir, '.app_20261202_080001.partial')
  const renamed = join(dir, '.app_20261202_080002.partial')
  writeFileSync(file, '')
  mkdirSync(folder)
  writeFileSync(join(folder, 'toc.dat'), 'x')
  writeFileSync(renamed, '')
  const script = `
    import { removeOnExit } from ${JSON.stringify(module)}
    removeOnExit(${JSON.stringify(file)})
    removeOnExit(${JSON.stringify(folder)})
    const forget = removeOnExit(${JSON.stringify(renamed)})
    forget()
    process.exit(130) // as a second Ctrl-C quits
  `
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  })
  assert.equal(run.status, 130, run.stderr)
  assert.equal(existsSync(file), false)
  assert.equal(existsSync(folder), false)
  assert.equal(existsSync(renamed), true)
})
