import { randomBytes } from 'node:crypto'
import { OperationFailedError } from '../errors/index.js'
import { type Connection, connect } from './connect.js'
import { type ConnectionSpec, withDatabase } from './connection-spec.js'
import { quoteIdent } from './quote.js'
import { INSUFFICIENT_PRIVILEGE } from './sqlstate.js'

/** No scratch database could be created; `noCreatedb` when the role lacks the privilege. */
export class ScratchDatabaseError extends OperationFailedError {
  constructor(
    message: string,
    readonly noCreatedb: boolean,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options)
  }
}

/**
 * Runs `work` against a new, empty database (`<prefix>_<random>`, from template0) on the
 * server of `server`, and always drops it afterwards, also when `work` fails. Name the
 * database it serves in the prefix (`strata_verify_<db>`), so that a scratch database
 * left by a killed process says where it came from.
 */
export async function withScratchDatabase<T>(
  server: ConnectionSpec,
  prefix: string,
  work: (scratch: ConnectionSpec, serverVersionNum: number) => Promise<T>,
): Promise<T> {
  const name = scratchName(prefix)
  const admin = await connect(server)
  try {
    await createScratchDatabase(admin, name, server.user)
    try {
      return await work(withDatabase(server, name), admin.serverVersionNum)
    } finally {
      await dropScratchDatabase(admin, name)
    }
  } finally {
    await admin.close()
  }
}

/**
 * Creates an empty database from template0; a role without CREATEDB gets the GRANT to
 * ask for (`hint` replaces it, when the caller knows a better way round).
 */
export async function createScratchDatabase(
  admin: Connection,
  name: string,
  user: string,
  hint = `ALTER ROLE ${quoteIdent(user)} CREATEDB`,
): Promise<void> {
  dropOnAbruptExit(admin, name)
  try {
    await admin.client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`)
  } catch (error) {
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE)
      throw new ScratchDatabaseError(`${user} may not create databases`, true, { hint, cause: error })
    throw new ScratchDatabaseError(
      `could not create a scratch database: ${(error as Error).message}`,
      false,
      {
        cause: error,
      },
    )
  }
}

/**
 * Drops a throw-away database, ending its sessions first where the server can (13+).
 * Never throws: cleaning up must not hide the error that ended the work.
 */
export async function dropScratchDatabase(admin: Connection, name: string): Promise<void> {
  const force = admin.serverVersionNum >= 130000 ? ' WITH (FORCE)' : ''
  await admin.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`).catch(() => undefined)
  made.delete(name)
}

/** Scratch databases made (or being made) and not dropped yet, with the session that made them. */
const made = new Map<string, Connection>()

/**
 * Registers a throw-away database made some other way (a deploy rehearsal's copy of the
 * live database) for `dropScratchDatabasesLeft`, until `dropScratchDatabase` drops it.
 * Called before it is created: a signal during CREATE DATABASE must still drop it.
 */
export function dropOnAbruptExit(admin: Connection, name: string): void {
  made.set(name, admin)
}

/**
 * Drops the scratch databases still there, each on the session that made it, giving up
 * after `timeoutMs`: for a process that a signal ends at once (Ctrl-C while no migration
 * or program runs: a rehearsal between two steps, verify's drift check setting up),
 * which would otherwise leave `<db>_rehearse_<random>` on the server. Never throws.
 */
export async function dropScratchDatabasesLeft(timeoutMs: number): Promise<void> {
  if (made.size === 0) return
  const drops = [...made].map(([name, admin]) => dropScratchDatabase(admin, name))
  await Promise.race([Promise.all(drops), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())])
}

/** `<prefix>_<12 hex characters>`, the prefix cut so that the name fits PostgreSQL's 63 bytes. */
export function scratchName(prefix: string): string {
  const suffix = `_${randomBytes(6).toString('hex')}`
  let head = prefix
  while (Buffer.byteLength(head) + suffix.length > 63) head = head.slice(0, -1)
  return `${head}${suffix}`
}
