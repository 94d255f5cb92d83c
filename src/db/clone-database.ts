import type pg from 'pg'
import { OperationFailedError } from '../errors/index.js'
import { quoteIdent } from './quote.js'
import { hasSqlState, OBJECT_IN_USE } from './sqlstate.js'

/** The copy could not be made because other sessions use the source (PostgreSQL requires none). */
export class SourceInUseError extends OperationFailedError {
  constructor(
    readonly source: string,
    readonly sessions: number,
    options: { cause?: unknown } = {},
  ) {
    super(
      `${source} cannot be copied on the server while ${sessions} other session${sessions === 1 ? '' : 's'} use${sessions === 1 ? 's' : ''} it`,
      {
        hint: 'CREATE DATABASE ... TEMPLATE needs the source to be idle; stop the application, or install a pg_dump matching the server for a file backup',
        ...options,
      },
    )
  }
}

/**
 * `CREATE DATABASE name TEMPLATE source`: the server copies the database file by file,
 * with no client program and no data through the network. PostgreSQL allows it only
 * while no other session is connected to the source; then `SourceInUseError` says how
 * many are.
 *
 * @example await cloneDatabase(admin.client, 'assistant', 'assistant_predeploy_20251126_100001')
 */
export async function cloneDatabase(admin: pg.ClientBase, source: string, name: string): Promise<void> {
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(source)}`)
  } catch (error) {
    if (!hasSqlState(error, OBJECT_IN_USE)) throw error
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [source],
    )
    throw new SourceInUseError(source, rows[0]?.n ?? 0, { cause: error })
  }
}
