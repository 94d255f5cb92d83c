import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensureDirectory } from './ensure-directory.js'

/**
 * Writes a cache file whole or not at all (a temporary file renamed into place, so a
 * concurrent reader never sees half of it). A cache that cannot be written (a
 * read-only project) is no error: the work is only done again next time.
 */
export function writeCacheFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`
  try {
    ensureDirectory(dirname(path))
    writeFileSync(temporary, text)
    renameSync(temporary, path)
  } catch {
    // Only the speed-up is lost; a half-written temporary (a full disk) goes.
    rmSync(temporary, { force: true })
  }
}
