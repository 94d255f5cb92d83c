import type { ResolvedConfig } from '../config/types.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import type { MigrationMeta } from '../graph/migration.js'
import { analyseStatements } from './analyse-migration.js'
import type { AnalysedStatement } from './analysed-statement.js'
import { destroyedInOrder } from './copied-out.js'
import type { LostData } from './effects.js'
import { migrationSource } from './migration-file-source.js'
import { SchemaModel } from './schema-model.js'

/** A table or column a downgrade step destroys, with the migration whose downgrade does it. */
export interface DowngradeLoss extends LostData {
  readonly revision: string
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
): Promise<DowngradeLoss[]> {
  const losses: DowngradeLoss[] = []
  for (const meta of metas) {
    if (meta.hasDowngrade === false) continue
    const source = await migrationSource(migrations, meta, config, args)
    if (source.down === undefined) continue
    const analysed = analyseStatements(source.down, source, new SchemaModel(), config.check.serverVersion)
    for (const data of dataDestroyedBy(analysed)) losses.push({ revision: meta.revision, ...data })
  }
  return losses
}

/** What a downgrade's statements destroy, rows copied out first excepted (see `destroyedInOrder`). */
export function dataDestroyedBy(statements: readonly AnalysedStatement[]): LostData[] {
  return destroyedInOrder(statements).flatMap((item) => item.lostData)
}
