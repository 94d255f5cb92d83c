import type { ResolvedConfig } from '../config/types.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { destroyedInOrder } from './copied-out.js'
import type { LostData } from './effects.js'
import { destructiveSide } from './migration-file-source.js'
import { SchemaModel } from './schema-model.js'

/** A table or column a migration step destroys, with the migration that does it. */
export interface StepLoss extends LostData {
  readonly revision: string
}

/** "column users.email (b2)", "table audit (a1)": a loss for people. */
export function describeLoss(loss: StepLoss): string {
  return loss.column === undefined
    ? `table ${loss.table} (${loss.revision})`
    : `column ${loss.table}.${loss.column} (${loss.revision})`
}

/** What the steps destroy: named tables and columns, and schemas dropped whole. */
export interface StepLosses {
  readonly losses: readonly StepLoss[]
  /** `DROP SCHEMA ... CASCADE`: every table in the schema goes (the database says which). */
  readonly schemas: readonly { readonly schema: string; readonly revision: string }[]
}

/**
 * The tables and columns whose contents the upgrades (or downgrades) of `metas` destroy
 * (DROP TABLE, DROP COLUMN, TRUNCATE, DELETE), read from each side rendered offline and
 * run through the lock model. Sides built from query results cannot be rendered; they
 * contribute nothing here (`strata check` reports them as unverifiable).
 */
export async function dataLostBySteps(
  migrations: MigrationSet,
  metas: readonly MigrationMeta[],
  direction: 'up' | 'down',
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
): Promise<StepLosses> {
  const losses: StepLoss[] = []
  const schemas: { schema: string; revision: string }[] = []
  for (const meta of metas) {
    if (direction === 'down' && meta.hasDowngrade === false) continue
    const side = await destructiveSide(migrations, meta, direction, config, args)
    if (side === undefined) continue
    // The lock model and its rules load only for a side that may destroy something.
    const { analyseStatements } = await import('./analyse-migration.js')
    const analysed = analyseStatements(
      side.statements,
      side.source,
      new SchemaModel(),
      config.check.serverVersion,
    )
    for (const item of destroyedInOrder(analysed)) {
      for (const data of item.lostData) losses.push({ revision: meta.revision, ...data })
      for (const schema of item.lostSchemas) schemas.push({ schema, revision: meta.revision })
    }
  }
  return { losses, schemas }
}
