import type pg from 'pg'
import { OperationFailedError } from '../errors/index.js'
import type { VersionChange } from '../runner/version-rows.js'
import { quoteIdent, quoteLiteral, quoteQualified } from './quote.js'
import { readStateTable } from './state-table-access.js'
import { refuseVersionTableElsewhere } from './version-table-elsewhere.js'

/** A table name with its schema. */
export interface QualifiedName {
  readonly schema: string
  readonly name: string
  /**
   * Set on the version table when its schema is the default (`public`), not one the
   * config chose: `readVersionRows` then looks for the revisions elsewhere in the
   * search_path before taking a missing table for an unmigrated database.
   */
  readonly schemaByDefault?: true
}

export function qualified(table: QualifiedName): string {
  return quoteQualified(table.schema, table.name)
}

/** Alembic's exact DDL, so that a Strata database is an Alembic database and vice versa. */
export function createVersionTableSql(table: QualifiedName): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(table)} (version_num VARCHAR(32) NOT NULL, CONSTRAINT ${quoteIdent(`${table.name}_pkc`)} PRIMARY KEY (version_num))`
}

/** Whether a table exists (without failing when it does not). */
export function tableExists(client: pg.ClientBase, table: QualifiedName): Promise<boolean> {
  return relationExists(client, qualified(table))
}

/** Whether a relation exists, named as SQL names it (quoted, optionally schema-qualified). */
export async function relationExists(client: pg.ClientBase, quotedName: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    quotedName,
  ])
  return rows[0]!.exists
}

/**
 * The version table's rows; an empty list when the table does not exist yet. A missing
 * or empty table in the default schema is refused when one of its name elsewhere in the
 * search_path holds the revisions (see `refuseVersionTableElsewhere`), unless
 * `elsewhere` is `'ignore'`: a backup records what the configured table holds, and must
 * not fail over it.
 */
export async function readVersionRows(
  client: pg.ClientBase,
  table: QualifiedName,
  options: { readonly elsewhere?: 'refuse' | 'ignore' } = {},
): Promise<string[]> {
  const exists = await tableExists(client, table)
  const rows = exists
    ? (
        await readStateTable(client, table, 'version table', () =>
          client.query<{ version_num: string }>(`SELECT version_num FROM ${qualified(table)}`),
        )
      ).rows.map((row) => row.version_num)
    : []
  if (rows.length === 0 && table.schemaByDefault && options.elsewhere !== 'ignore')
    await refuseVersionTableElsewhere(client, table)
  return rows
}

/** One version change as a parameterised statement. */
export function versionChangeQuery(
  change: VersionChange,
  table: QualifiedName,
): { text: string; values: string[] } {
  switch (change.kind) {
    case 'insert':
      return { text: `INSERT INTO ${qualified(table)} (version_num) VALUES ($1)`, values: [change.revision] }
    case 'delete':
      return { text: `DELETE FROM ${qualified(table)} WHERE version_num = $1`, values: [change.revision] }
    case 'update':
      return {
        text: `UPDATE ${qualified(table)} SET version_num = $1 WHERE version_num = $2`,
        values: [change.revision, change.from],
      }
  }
}

/** The same statement with its values written by `write` (literals by default, for offline scripts). */
export function versionChangeSql(
  change: VersionChange,
  table: QualifiedName,
  write: (value: string) => string = quoteLiteral,
): string {
  const { text, values } = versionChangeQuery(change, table)
  return text.replace(/\$(\d)/g, (_match, index: string) => write(values[Number(index) - 1]!))
}

/**
 * Applies one version change and checks it touched exactly one row: anything else
 * means the table was changed behind Strata's back, and the transaction is stopped.
 */
export async function applyVersionChange(
  client: pg.ClientBase,
  change: VersionChange,
  table: QualifiedName,
): Promise<void> {
  const query = versionChangeQuery(change, table)
  const result = await client.query(query)
  if (change.kind !== 'insert' && result.rowCount !== 1) {
    throw new OperationFailedError(editedVersionTableMessage(table, [change]), {
      hint: EDITED_VERSION_TABLE_HINT,
    })
  }
}

/** "the version table public.alembic_version changed unexpectedly: ..." */
export function editedVersionTableMessage(table: QualifiedName, changes: readonly VersionChange[]): string {
  const expected = changes
    .filter((change) => change.kind !== 'insert')
    .map((change) => `"${change.kind === 'update' ? change.from : change.revision}"`)
  return `the version table ${table.schema}.${table.name} changed unexpectedly: expected the row${expected.length === 1 ? '' : 's'} ${expected.join(', ')}, found ${expected.length === 1 ? 'none' : 'not all of them'}`
}

export const EDITED_VERSION_TABLE_HINT =
  'someone edited it during the run; check `strata current` and fix it with `strata stamp`'
