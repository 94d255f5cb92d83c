import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { EmbeddedServerError } from '../errors/index.js'
import { ensureDirectory } from '../util/ensure-directory.js'
import { isProcessAlive } from '../util/process-alive.js'

const LOCK_FILE = 'dev-start.lock'
const POLL_MS = 200

/**
 * Runs `body` as the only `strata dev start` of this project. Two commands started at
 * once on a fresh clone (each falls back to the development server) would otherwise
 * both run initdb on one data directory, and the second would fail with the server's
 * own confusing account. The lock is a file made with an exclusive create, holding
 * the pid; one left by a process that died is taken over. The second waits, then
 * `body` finds the server the first started.
 */
export async function withDevStartLock<T>(
  stateDir: string,
  body: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  // A start refused before it creates anything (a port taken) leaves no directory.
  const madeStateDir = !existsSync(stateDir)
  ensureDirectory(stateDir)
  const file = join(stateDir, LOCK_FILE)
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' })
      break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // A start that failed before creating anything removed the directory it made.
      if (code === 'ENOENT') {
        ensureDirectory(stateDir)
        continue
      }
      if (code !== 'EEXIST') throw error
    }
    let holder: number
    try {
      holder = Number(readFileSync(file, 'utf8').trim())
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue // released meanwhile
      throw error
    }
    // A lock whose process is gone (killed mid-start), or still empty from a writer
    // that has not written its pid yet, is read again: the first is removed.
    if (Number.isInteger(holder) && holder > 0 && !isProcessAlive(holder)) {
      rmSync(file, { force: true })
      continue
    }
    if (Date.now() > deadline)
      throw new EmbeddedServerError(
        `another strata process (pid ${holder}) has been starting the development server for ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`,
        {
          exitCode: 1,
          where: file,
          hint: `wait for it, or stop it; if no such process runs, remove ${file}`,
        },
      )
    await sleep(POLL_MS)
  }
  try {
    return await body()
  } finally {
    rmSync(file, { force: true })
    if (madeStateDir && readdirSync(stateDir).length === 0) rmSync(stateDir, { recursive: true, force: true })
  }
}
