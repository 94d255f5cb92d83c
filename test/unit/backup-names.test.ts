import assert from 'node:assert/strict'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { backupPartialPath, reserveBackupId } from '../../src/backup/backup-names.js'
import { tempDir } from '../helpers/temp-dir.js'

const at = new Date(2026, 11, 2, 6, 58, 19)

test('backups started in the same second get their own ids, each reserved by its partial file', (t) => {
  const directory = tempDir(t)
  const first = reserveBackupId(directory, 'app', at, 'full', 'file')
  const second = reserveBackupId(directory, 'app', at, 'full', 'file')
  const third = reserveBackupId(directory, 'app', at, 'full', 'directory')
  assert.deepEqual(
    [first, second, third],
    ['app_20261202_065819', 'app_20261202_065819_2', 'app_20261202_065819_3'],
  )
  // Created before pg_dump writes into them: a file 0600, a directory 0700.
  assert.equal(statSync(backupPartialPath(directory, first)).mode & 0o777, 0o600)
  assert.equal(statSync(backupPartialPath(directory, third)).mode & 0o777, 0o700)
  assert.ok(statSync(backupPartialPath(directory, third)).isDirectory())
})

test("a finished backup's id is not given again; kinds and odd database names are in the id", (t) => {
  const directory = tempDir(t)
  writeFileSync(join(directory, 'app_20261202_065819_base.manifest.json'), '{}')
  assert.equal(reserveBackupId(directory, 'app', at, 'base', 'directory'), 'app_20261202_065819_base_2')
  assert.equal(reserveBackupId(directory, 'app', at, 'tables', 'file'), 'app_20261202_065819_tables')
  assert.equal(
    reserveBackupId(directory, 'my app/1', at, 'schema', 'file'),
    'my_app_1_20261202_065819_schema',
  )
})
