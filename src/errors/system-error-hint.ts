import { userInfo } from 'node:os'

/** The machine's errors a user can act on, in words: "no space left on the device". */
const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
}

/** The cause of a machine error in words, for a command that words the rest itself; undefined for others. */
export function systemErrorCause(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === undefined ? undefined : CAUSES[code]
}

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
  const cause = systemErrorCause(error)
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        message: `${cause}${what}, at ${syscall ?? 'a write'}`,
        hint: 'free space there (old backups: `strata backups prune`), or set the directory in the config to a larger disk, then run the command again',
      }
    case 'EROFS':
      return {
        message: `${cause}${what}, at ${syscall ?? 'a write'}`,
        hint: 'set the directory in the config to a writable one, then run the command again',
      }
    case 'EACCES':
    case 'EPERM':
      return {
        message: `${cause}${what}, at ${syscall ?? 'a file operation'}`,
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
