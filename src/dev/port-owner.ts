import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** The program listening on a port, as far as this machine lets Strata see it. */
export interface PortOwner {
  readonly pid: number
  /** The program's file name: `postgres`, `node`, ... */
  readonly program: string
  /** A PostgreSQL server's `-D` directory. */
  readonly dataDir: string | undefined
  /** The Strata project whose development server it is, when that can be told. */
  readonly project: string | undefined
}

/** Written beside a relocated data directory, so that its project can be named. */
export const PROJECT_MARKER = 'project'

/**
 * Who listens on `port`: from /proc (Linux), the listening socket's inode, then the
 * process holding it. Undefined elsewhere, or when the process is another user's and
 * Strata is not root: the caller then says only that the port is taken.
 */
export function portOwner(port: number): PortOwner | undefined {
  try {
    const inodes = listeningInodes(port)
    if (inodes.size === 0) return undefined
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      if (!holdsSocket(pid, inodes)) continue
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
      const flag = args.indexOf('-D')
      const dataDir = flag >= 0 ? args[flag + 1] : undefined
      return { pid: Number(pid), program: basename(args[0] ?? '?'), dataDir, project: projectOf(dataDir) }
    }
  } catch {
    // Not Linux, or /proc not readable: nothing more to say than "in use".
  }
  return undefined
}

/** The inodes of the sockets listening on `port`, over IPv4 and IPv6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 the inode.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9])
    }
  }
  return inodes
}

function holdsSocket(pid: string, inodes: ReadonlySet<string>): boolean {
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return false
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode !== undefined && inodes.has(inode)) return true
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return false
}

/** `<project>/.strata/pg`, or a relocated data directory with its project marker beside it. */
function projectOf(dataDir: string | undefined): string | undefined {
  if (dataDir === undefined) return undefined
  if (basename(dataDir) === 'pg' && basename(dirname(dataDir)) === '.strata') return dirname(dirname(dataDir))
  try {
    return readFileSync(join(dirname(dataDir), PROJECT_MARKER), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
