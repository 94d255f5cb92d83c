import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Creates a directory and its missing parents, one component at a time. Node's own
 * `mkdirSync(path, { recursive: true })` loops forever on filesystems that answer
 * ENOENT for a directory whose parent exists (procfs, some FUSE mounts); this fails
 * with that error instead. `mode` applies to the last component only; parents get the
 * default, so that they stay searchable.
 */
export function ensureDirectory(path: string, mode?: number): void {
  const missing: string[] = []
  let current = path
  for (;;) {
    try {
      if (statSync(current).isDirectory()) break
      const error = new Error(`ENOTDIR: not a directory, mkdir '${path}'`) as NodeJS.ErrnoException
      error.code = 'ENOTDIR'
      throw error
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    missing.push(current)
    const parent = dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const [index, dir] of missing.reverse().entries()) {
    mkdirSync(dir, index === missing.length - 1 && mode !== undefined ? { mode } : {})
  }
}
