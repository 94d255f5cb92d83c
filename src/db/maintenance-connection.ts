import { OperationFailedError } from '../errors/index.js'
import { type Connection, connect } from './connect.js'
import { type ConnectionSpec, withDatabase } from './connection-spec.js'

/** A connection to another database of the same server: renaming or copying a database needs one. */
export async function maintenanceConnection(spec: ConnectionSpec): Promise<Connection> {
  let lastError: unknown
  for (const name of ['postgres', 'template1']) {
    if (name === spec.database) continue
    try {
      return await connect(withDatabase(spec, name))
    } catch (error) {
      lastError = error
    }
  }
  throw new OperationFailedError(
    `cannot connect to the postgres or template1 database of ${spec.host}:${spec.port}, which renaming or copying a database needs`,
    {
      hint: 'allow this role to connect to the postgres database (pg_hba.conf and GRANT CONNECT); a restore can also run with --in-place',
      cause: lastError,
    },
  )
}
