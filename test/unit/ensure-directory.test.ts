import assert from 'node:assert/strict'
import fs, { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
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

test('a directory another process makes between the look and the mkdir is taken as made', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'strata-mkdir-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const target = join(root, 'a', 'b')
  // The other process wins each race: every directory exists by the time mkdir runs.
  const real = fs.mkdirSync
  t.mock.method(fs, 'mkdirSync', (path: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
    real(path, options)
    return real(path, options)
  })
  // The module's named import of mkdirSync sees the mock only once the builtin's exports are synced.
  syncBuiltinESMExports()
  try {
    ensureDirectory(target, 0o700)
  } finally {
    t.mock.restoreAll()
    syncBuiltinESMExports()
  }
  assert.ok(statSync(target).isDirectory())
  // A file in the way is still an error.
  writeFileSync(join(root, 'file'), '')
  assert.throws(() => ensureDirectory(join(root, 'file')), { code: 'ENOTDIR' })
})
