import assert from 'node:assert/strict'
import { createWriteStream, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runProgram } from '../../src/backup/run-program.js'
import { databaseErrorHint } from '../../src/errors/database-error-hint.js'
import { systemErrorHint } from '../../src/errors/system-error-hint.js'
import { tempDir } from '../helpers/temp-dir.js'

test('a program whose output cannot be written (a full device) is stopped and the write error returned, not left writing forever', async () => {
  // /dev/full answers every write with ENOSPC, as a full disk does.
  const started = Date.now()
  await assert.rejects(
    runProgram('yes', [], process.env, { stdout: createWriteStream('/dev/full') }),
    (error: NodeJS.ErrnoException) => error.code === 'ENOSPC',
  )
  assert.ok(Date.now() - started < 30_000)
})

test("the machine's errors are worded as such, never as the database's: a full disk, a read-only file system", (t) => {
  const dir = tempDir(t)
  let full: unknown
  try {
    writeFileSync('/dev/full', 'x')
  } catch (error) {
    full = error
  }
  assert.deepEqual(systemErrorHint(full), {
    message: 'no space left on the device, at write',
    hint: 'free space there (old backups: `strata backups prune`), or set the directory in the config to a larger disk, then run the command again',
  })
  // EROFS has five capital letters, like a SQLSTATE: it is not one.
  const readOnly = Object.assign(new Error("EROFS: read-only file system, open '/x'"), {
    code: 'EROFS',
    syscall: 'open',
    path: join(dir, 'x'),
  })
  assert.equal(databaseErrorHint(readOnly), undefined)
  assert.match(systemErrorHint(readOnly)!.message, /^the file system is read-only \(.+\/x\), at open$/)
  assert.equal(systemErrorHint(new Error('other')), undefined)
  // A copy's error names its source first; the disk that is full is the destination's.
  const copy = Object.assign(new Error('ENOSPC: no space left on device, copyfile'), {
    code: 'ENOSPC',
    syscall: 'copyfile',
    path: '/srv/pg/base/1/1247',
    dest: '/backups/base/1/1247',
  })
  assert.equal(
    systemErrorHint(copy)!.message,
    'no space left on the device (/backups/base/1/1247), at copyfile',
  )
  assert.equal(existsSync(join(dir, 'x')), false)
})
