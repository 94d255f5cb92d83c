import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ensureDirectory } from '../../src/util/ensure-directory.js'

test('creates missing parents, applies the mode to the last one only, and accepts an existing directory', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'strata-mkdir-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const target = join(root, 'a', 'b', 'c')
  ensureDirectory(target, 0o700)
  assert.equal(statSync(target).mode & 0o777, 0o700)
  assert.notEqual(statSync(join(root, 'a')).mode & 0o777, 0o700)
  ensureDirectory(target, 0o700)
  writeFileSync(join(root, 'file'), '')
  assert.throws(() => ensureDirectory(join(root, 'file', 'x')), { code: 'ENOTDIR' })
})

test('fails instead of looping where the filesystem refuses to create directories', () => {
  assert.throws(() => ensureDirectory('/proc/strata-never/x'))
})
