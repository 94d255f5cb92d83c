import { connect as connectSocket } from 'node:net'
import type pg from 'pg'
import type { ConnectionSpec } from './connection-spec.js'

/**
 * Sessions whose running statement must be cancelled when Strata is interrupted.
 *
 * A client that simply exits does not stop the server: PostgreSQL notices a vanished
 * client only when it next writes to it. A migration sends its statements, the version
 * update and COMMIT together, so an upgrade killed by Ctrl-C goes on on the server and
 * commits seconds later, while the operator believes it stopped; a long ALTER keeps its
 * ACCESS EXCLUSIVE lock until it ends. Cancelling the running statement (what psql does
 * on Ctrl-C) makes it fail at once: the rest of what was sent is skipped, the
 * transaction rolls back, and the command's failure path reports it.
 */
interface Session {
  readonly spec: ConnectionSpec
  readonly client: pg.Client
  /** What runs on it, for the interruption notice ("the migration"). */
  readonly what: string
}

const sessions = new Set<Session>()
/** The clients whose sessions were cancelled: nothing more may be sent on them. */
const cancelledClients = new WeakSet<object>()
let cancelRequested = false

/** Thrown instead of sending a statement once the command was interrupted. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted before its next statement was sent')
  }
}

/**
 * True once `client`'s session was cancelled: the statement running then failed, and no
 * further one may be sent on it (a migration's code between statements, or the next
 * migration, would otherwise carry on after Ctrl-C). Sessions opened afterwards, such as
 * a deploy's rollback, are not affected.
 */
export function wasCancelled(client: object): boolean {
  return cancelledClients.has(client)
}

/** Throws InterruptedError when `client`'s session was cancelled. */
export function refuseAfterCancel(client: object): void {
  if (cancelledClients.has(client)) throw new InterruptedError()
}

/** Whether this process was interrupted and cancelled its sessions (for wording reports). */
export function cancellationRequested(): boolean {
  return cancelRequested
}

/** Every open connection of this process (see trackOpenConnection). */
const openConnections = new Map<pg.Client, ConnectionSpec>()

/**
 * Registers an open connection until the returned function is called (connect does it
 * for every connection). Strata quitting at once on Ctrl-C first cancels what these
 * still run: a read the server would otherwise finish for nobody, holding its locks
 * (a verify scan, a count) — an ALTER queued behind it would hold up every query.
 */
export function trackOpenConnection(spec: ConnectionSpec, client: pg.Client): () => void {
  openConnections.set(client, spec)
  return () => openConnections.delete(client)
}

/** Sends every open connection's cancel request (idle sessions ignore it), waiting at most `waitMs`. */
export async function cancelOpenConnections(waitMs = 1_000): Promise<void> {
  const sent = Promise.all([...openConnections].map(([client, spec]) => sendCancelRequest(spec, client)))
  await Promise.race([sent, new Promise((resolve) => setTimeout(resolve, waitMs).unref())])
}

/** Registers a session until the returned function is called. */
export function trackSession(spec: ConnectionSpec, client: pg.Client, what: string): () => void {
  const session = { spec, client, what }
  sessions.add(session)
  return () => sessions.delete(session)
}

/** What runs on the tracked sessions now ("the migration"); empty when none. */
export function runningSessions(): string[] {
  return [...new Set([...sessions].map((session) => session.what))]
}

/**
 * Sends each tracked session's cancel request: the protocol's CancelRequest, on a
 * connection of its own, as libpq sends it (no login, so it works through TLS-only
 * servers and poolers that forward it). A session that runs nothing ignores it.
 */
export async function cancelSessions(): Promise<void> {
  cancelRequested = true
  for (const session of sessions) cancelledClients.add(session.client)
  await Promise.all([...sessions].map((session) => sendCancelRequest(session.spec, session.client)))
}

/**
 * Asks the server to cancel what `client`'s session runs, with the key it gave at login;
 * works after that connection is lost, since the request travels on a connection of its
 * own. Resolves when sent (or when it cannot be: the caller checks the outcome itself).
 */
export function sendCancelRequest(spec: ConnectionSpec, client: pg.Client): Promise<void> {
  const keys = client as unknown as { processID: number | null; secretKey: number | null }
  if (keys.processID === null || keys.secretKey === null) return Promise.resolve()
  const packet = Buffer.alloc(16)
  packet.writeInt32BE(16, 0)
  packet.writeInt32BE(80877102, 4) // the cancel request code: 1234 << 16 | 5678
  packet.writeInt32BE(keys.processID, 8)
  packet.writeInt32BE(keys.secretKey, 12)
  return new Promise((resolve) => {
    const socket = spec.host.startsWith('/')
      ? connectSocket(`${spec.host}/.s.PGSQL.${spec.port}`)
      : connectSocket(spec.port, spec.host)
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.setTimeout(5_000, done)
    socket.once('error', done)
    socket.once('close', done)
    socket.once('connect', () => socket.end(packet))
  })
}
