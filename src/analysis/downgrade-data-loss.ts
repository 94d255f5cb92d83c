import type { ResolvedConfig } from '../config/types.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { analyseStatements } from './analyse-migration.js'
import { destroyedInOrder } from './copied-out.js'
import type { LostData } from './effects.js'
import { migrationSource } from './migration-file-source.js'
import { SchemaModel } from './schema-model.js'

/** A table or column a downgrade step destroys, with the migration whose downgrade does it. */
export interface DowngradeLoss extends LostData {
  readonly revision: string
}

/** What the downgrades destroy: named tables and columns, and schemas dropped whole. */
export interface DowngradeLosses {
  readonly losses: readonly DowngradeLoss[]
  /** `DROP SCHEMA ... CASCADE`: every table in the schema goes (the database says which). */
  readonly schemas: readonly { readonly schema: string; readonly revision: string }[]
}

/**
 * The tables and columns whose contents the downgrades of `metas` destroy (DROP TABLE,
 * DROP COLUMN, TRUNCATE, DELETE), read from each downgrade rendered offline and run
 * through the lock model. Downgrades built from query results cannot be rendered; they
 * contribute nothing here (`strata check` reports them as unverifiable).
 */
export async function dataLostByDowngrades(
  migrations: MigrationSet,
  metas: readonly MigrationMeta[],
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
): Promise<DowngradeLosses> {
  const losses: DowngradeLoss[] = []
  const schemas: { schema: string; revision: string }[] = []
  for (const meta of metas) {
    if (meta.hasDowngrade === false) continue
    const source = await migrationSource(migrations, meta, config, args)
    if (source.down === undefined) continue
    const analysed = analyseStatements(source.down, source, new SchemaModel(), config.check.serverVersion)
    for (const item of destroyedInOrder(analysed)) {
      for (const data of item.lostData) losses.push({ revision: meta.revision, ...data })
      for (const schema of item.lostSchemas) schemas.push({ schema, revision: meta.revision })
    }
  }
  return { losses, schemas }
}
