import { mkdirSync, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname } from 'node:path'
import { InvalidInputError } from '../errors/index.js'

/**
 * Creates a directory and its missing parents, one component at a time. Node's own
 * `mkdirSync(path, { recursive: true })` loops forever on filesystems that answer
 * ENOENT for a directory whose parent exists (procfs, some FUSE mounts); this fails
 * with that error instead. `mode` applies to the last component only; parents get the
 * default, so that they stay searchable.
 */
export function ensureDirectory(path: string, mode?: number): void {
  createMissing(path, mode)
}

/**
 * `ensureDirectory` for a directory the config names (`backup.directory`...): one that
 * cannot be created is bad configuration, said as such (exit 2), not an unexpected error.
 */
export function ensureConfiguredDirectory(path: string, configKey: string, mode?: number): void {
  try {
    createMissing(path, mode)
  } catch (error) {
    throw new InvalidInputError(`cannot create ${path} (${configKey}): ${whyNotCreated(error)}`, {
      hint: `set ${configKey} in the config to a directory this account (${userName()}) can write, or create it: mkdir -p ${path}`,
    })
  }
}

/**
 * `ensureDirectory` for a directory named on the command line: one that cannot be
 * created is bad input (exit 2), with what stood in the way.
 */
export function ensureGivenDirectory(path: string, hint: string): void {
  try {
    createMissing(path, undefined)
  } catch (error) {
    throw new InvalidInputError(`cannot create ${path}: ${whyNotCreated(error)}`, { hint })
  }
}

/** Why mkdir failed, in a few words. */
function whyNotCreated(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException
  return code === 'EACCES' || code === 'EPERM'
    ? 'permission denied'
    : code === 'ENOTDIR'
      ? 'a file is in the way'
      : code === 'EROFS'
        ? 'read-only filesystem'
        : code === 'ENOENT'
          ? 'this filesystem does not allow it'
          : message
}

function userName(): string {
  try {
    return userInfo().username
  } catch {
    return `uid ${process.getuid?.() ?? '?'}` // no passwd entry (a container's arbitrary uid)
  }
}

function createMissing(path: string, mode: number | undefined): void {
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
    try {
      mkdirSync(dir, index === missing.length - 1 && mode !== undefined ? { mode } : {})
    } catch (error) {
      // Another process made it between the look and the mkdir (two commands started at
      // once): there it is, as wanted.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error
    }
  }
}
