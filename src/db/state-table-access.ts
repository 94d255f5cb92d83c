import type pg from 'pg'
import { InvalidInputError, OperationFailedError } from '../errors/index.js'
import { quoteQualified, sqlIdent, sqlQualified } from './quote.js'
import { INSUFFICIENT_PRIVILEGE, UNDEFINED_COLUMN } from './sqlstate.js'
import type { QualifiedName } from './version-table.js'

/**
 * Reads one of Strata's tables; when it was made by another role (the schema's owner,
 * or Alembic run as another user) and not granted to this one, fails saying which
 * grants to ask its owner for, instead of a bare "permission denied for table
 * alembic_version". When the name is another table's (a config naming `users` or
 * `migrations`, an application's table), says so instead of "column version_num does
 * not exist".
 */
export async function readStateTable<T>(
  client: pg.ClientBase,
  table: QualifiedName,
  what: 'version table' | 'history table',
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_COLUMN) throw notStrataTable(table, what, error)
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error
    const { rows } = await client.query<{ me: string; owner: string }>(
      'SELECT current_user AS me, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = to_regclass($1)',
      [quoteQualified(table.schema, table.name)],
    )
    const { me, owner } = rows[0] ?? { me: 'this role', owner: 'its owner' }
    const shown = sqlQualified(table.schema, table.name)
    const grant =
      what === 'version table'
        ? `GRANT SELECT, INSERT, UPDATE, DELETE ON ${shown} TO ${sqlIdent(me)} (SELECT alone serves current, history and check; migrating writes it)`
        : `GRANT SELECT, INSERT ON ${shown} TO ${sqlIdent(me)} and USAGE on the sequence of its id (SELECT alone serves current and history; migrating writes it)`
    return Promise.reject(
      new OperationFailedError(`${me} may not read the ${what} ${shown}, which ${owner} owns`, {
        hint: `as ${owner} (or a superuser): ${grant}; strata upgrade names any grant still missing before it changes anything. Or connect as ${owner}`,
        cause: error,
      }),
    )
  }
}

function notStrataTable(
  table: QualifiedName,
  what: 'version table' | 'history table',
  error: unknown,
): InvalidInputError {
  const shown = sqlQualified(table.schema, table.name)
  const key = what === 'version table' ? 'versionTable' : 'historyTable'
  return new InvalidInputError(
    `${shown} is not a ${what} of Strata or Alembic: ${(error as Error).message}. It is another table of that name; nothing was changed`,
    {
      hint: `give migrations.${key} a name no other table has (default ${what === 'version table' ? "'alembic_version'" : "'strata_history'"}; Strata creates it)`,
      cause: error,
    },
  )
}
