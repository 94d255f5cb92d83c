import { userInfo } from 'node:os'

/**
 * What an error of the machine itself (a full disk, a read-only file system, a file the
 * account may not write) means for the user, when no command worded it: the file, the
 * cause in words, and what to change. Undefined for anything else.
 */
export function systemErrorHint(error: unknown): { message: string; hint: string } | undefined {
  const { code, path, dest, syscall } = (error ?? {}) as NodeJS.ErrnoException & { dest?: string }
  // A copy names its source as `path`: a full or read-only disk is the destination's.
  const written = code === 'EACCES' || code === 'EPERM' ? path : (dest ?? path)
  const what = written === undefined ? '' : ` (${written})`
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        message: `${code === 'ENOSPC' ? 'no space left on the device' : 'the disk quota is used up'}${what}, at ${syscall ?? 'a write'}`,
        hint: 'free space there (old backups: `strata backups prune`), or set the directory in the config to a larger disk, then run the command again',
      }
    case 'EROFS':
      return {
        message: `the file system is read-only${what}, at ${syscall ?? 'a write'}`,
        hint: 'set the directory in the config to a writable one, then run the command again',
      }
    case 'EACCES':
    case 'EPERM':
      return {
        message: `permission denied${what}, at ${syscall ?? 'a file operation'}`,
        hint: `this account (${safeUser()}) may not do that there: change the permissions, or set the directory in the config to one it can write`,
      }
    default:
      return undefined
  }
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'this user'
  }
}
