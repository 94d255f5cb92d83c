import { destroyedInOrder } from '../analysis/copied-out.js'
import type { LostData } from '../analysis/effects.js'
import { SchemaModel } from '../analysis/schema-model.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'

/** A table or column the diff's SQL destroys, with the rows it holds (the planner's estimate). */
export interface DestroyedData extends LostData {
  /** Estimated rows of the table; undefined when it was never analysed. */
  readonly rows: number | undefined
}

/**
 * What the SQL of `strata diff --sql` destroys in the database it changes (DROP TABLE,
 * DROP COLUMN, DROP SCHEMA ... CASCADE), read through the same lock model as `strata
 * check`, with each table's estimated rows: the script's header says what a person
 * running it would lose, and how to back it up first, as offline migration scripts do.
 */
export async function dataDestroyedBy(
  statements: readonly string[],
  config: ResolvedConfig,
  spec: ConnectionSpec,
): Promise<DestroyedData[]> {
  if (statements.length === 0) return []
  const { loadParser } = await import('../analysis/parse-sql.js')
  const { plainSqlSource } = await import('../analysis/migration-source.js')
  const { analyseStatements } = await import('../analysis/analyse-migration.js')
  await loadParser()
  const source = plainSqlSource('strata diff --sql', statements.join('\n'))
  const analysed = analyseStatements(source.up, source, new SchemaModel(), config.check.serverVersion)
  const lost: LostData[] = []
  for (const item of destroyedInOrder(analysed)) {
    lost.push(...item.lostData)
    // A schema dropped with CASCADE takes its tables: named by the database below.
    for (const schema of item.lostSchemas) lost.push({ table: `${schema}.*` })
  }
  if (lost.length === 0) return []
  return withConnection(spec, async ({ client }) => {
    const result: DestroyedData[] = []
    for (const data of lost) {
      const schemaWide = data.table.endsWith('.*')
      const { rows } = await client.query<{ name: string; rows: string }>(
        schemaWide
          ? `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.reltuples::bigint::text AS rows
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`
          : `SELECT $1 AS name, c.reltuples::bigint::text AS rows FROM pg_class c WHERE c.oid = to_regclass($1)`,
        [schemaWide ? data.table.slice(0, -2) : data.table],
      )
      for (const row of rows) {
        const estimate = Number(row.rows)
        result.push({
          table: schemaWide ? row.name : data.table,
          ...(data.column === undefined ? {} : { column: data.column }),
          rows: estimate < 0 ? undefined : estimate,
        })
      }
    }
    // A table that holds nothing (by the estimate) loses nothing worth a warning.
    return result.filter((data) => data.rows !== 0)
  })
}
