import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { withDevStartLock } from '../../src/dev/start-lock.js'
import { EmbeddedServerError } from '../../src/errors/index.js'
import { tempDir } from '../helpers/temp-dir.js'

test('a start lock left by a process that died is taken over; the lock is gone afterwards', async (t) => {
  const stateDir = join(tempDir(t), '.strata')
  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  mkdirSync(stateDir)
  writeFileSync(join(stateDir, 'dev-start.lock'), `${dead}\n`)
  assert.equal(await withDevStartLock(stateDir, async () => 'started'), 'started')
  assert.equal(existsSync(join(stateDir, 'dev-start.lock')), false)
})

test('a start waits for a live holder, and past its time limit says who holds the lock', async (t) => {
  const stateDir = tempDir(t)
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  t.after(() => holder.kill())
  writeFileSync(join(stateDir, 'dev-start.lock'), `${holder.pid}\n`)
  await assert.rejects(
    withDevStartLock(stateDir, async () => 'started', { timeoutMs: 300 }),
    (error: unknown) =>
      error instanceof EmbeddedServerError &&
      error.message ===
        `another strata process (pid ${holder.pid}) has been starting the development server for 0 s`,
  )
})

test('a start refused before creating anything leaves no state directory behind', async (t) => {
  const stateDir = join(tempDir(t), '.strata')
  await assert.rejects(
    withDevStartLock(stateDir, async () => {
      throw new Error('port taken')
    }),
    /port taken/,
  )
  assert.equal(existsSync(stateDir), false)
})
