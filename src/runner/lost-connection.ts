import type pg from 'pg'
import { sendCancelRequest } from '../db/cancellable-sessions.js'
import { connect } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { readVersionRows } from '../db/version-table.js'
import { MigrationFailedError } from '../errors/index.js'
import type { RunnerTables } from './run-plan.js'

/**
 * Whether an error means the connection itself is gone (the network, a proxy, the server
 * ending the session), rather than a statement failing on a live one.
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code, message } = current as Error & { code?: unknown }
    if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code) || LOST_SOCKET.has(code)))
      return true
    if (/^(Connection terminated|Client has encountered a connection error|Client was closed)/.test(message))
      return true
  }
  return false
}

const LOST_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])

/** How long the server may take to notice the client is gone and end the old session. */
const SETTLE_MS = 10_000

/**
 * The connection was lost while a migration ran. What had been sent still runs on the
 * server, which notices a vanished client only when it next writes to it: a migration's
 * statements travel with its version update and COMMIT, so it may well commit after the
 * error. "Rolled back" would be a guess. Instead the old session's statement is cancelled
 * (the protocol's cancel request needs only its key, not the lost connection), Strata
 * waits for that session to end, and reads the version table on a new connection: the
 * message then says what is true.
 */
export async function explainLostConnection(
  spec: ConnectionSpec,
  lost: pg.Client,
  tables: RunnerTables,
  error: unknown,
  /** Whether the migration that was running is transactional (undefined: unknown). */
  transactional: (revision: string) => boolean | undefined,
): Promise<Error> {
  const failed = error instanceof MigrationFailedError ? error : undefined
  const what = failed ? `${failed.message.split('\n')[0]!.replace(/ failed: .*$/, '')}` : 'the migration run'
  // The driver's own words ("Connection terminated unexpectedly"): the cause of a failed step.
  const why = ((failed?.cause ?? error) as Error).message.split('\n')[0]!
  const pid = (lost as unknown as { processID: number | null }).processID
  await sendCancelRequest(spec, lost)
  let connection: Awaited<ReturnType<typeof connect>>
  try {
    connection = await connect(spec)
  } catch (reconnect) {
    return new MigrationFailedError(
      `${what}: the connection to the server was lost (${why}), and the server cannot be reached now (${(reconnect as Error).message.split('\n')[0]}): whether the migration committed is not known`,
      failed?.revision ?? '',
      undefined,
      {
        cause: error,
        hint: 'once the server is reachable, `strata current` shows where the database is, and `strata upgrade` goes on from there',
      },
    )
  }
  try {
    const { client } = connection
    const stillThere = async () =>
      pid !== null &&
      (await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length > 0
    const deadline = Date.now() + SETTLE_MS
    while ((await stillThere()) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    if (await stillThere())
      return new MigrationFailedError(
        `${what}: the connection to the server was lost (${why}); its session (pid ${pid}) still runs on the server, and may yet commit`,
        failed?.revision ?? '',
        undefined,
        {
          cause: error,
          hint: `\`strata diagnose activity\` shows it; SELECT pg_terminate_backend(${pid}) ends it (rolling back what it has not committed); then \`strata current\` shows where the database is`,
        },
      )
    const rows = await readVersionRows(client, tables.version)
    const at = rows.length === 0 ? 'base (no revision)' : rows.join(', ')
    const applied =
      failed === undefined
        ? undefined
        : /^downgrade /.test(what)
          ? !rows.includes(failed.revision)
          : rows.includes(failed.revision)
    return new MigrationFailedError(
      `${what}: the connection to the server was lost (${why}). Strata cancelled what the server still ran of it and read the version table again: the database is at ${at}${
        applied === undefined
          ? ''
          : applied
            ? `, so the server finished ${failed!.revision} on its own`
            : transactional(failed!.revision) === false
              ? `, so ${failed!.revision} is not recorded as applied; it is non-transactional, so what its statements committed before the loss stays`
              : `, so ${failed!.revision} was rolled back and left no change`
      }`,
      failed?.revision ?? '',
      undefined,
      {
        cause: error,
        retryable: applied === false && transactional(failed?.revision ?? '') !== false,
        hint: 'run the command again: it goes on from where the database is (`strata current` shows it); a non-transactional migration is run again from its start, so its statements must be safe to repeat (IF NOT EXISTS; backfills resume)',
      },
    )
  } finally {
    await connection.close()
  }
}
