import { InvalidInputError } from '../../errors/index.js'
import { FOREIGN_TOOLS, type ForeignMigrationSet, type ForeignTool } from './foreign-migration.js'
import { looksLikeDbmate, readDbmate } from './read-dbmate.js'
import { looksLikeFlyway, readFlyway } from './read-flyway.js'
import { looksLikeGolangMigrate, readGolangMigrate } from './read-golang-migrate.js'
import { looksLikeKnex, readKnex } from './read-knex.js'
import { looksLikeNodePgMigrate, readNodePgMigrate } from './read-node-pg-migrate.js'
import { looksLikePrisma, readPrisma } from './read-prisma.js'
import { looksLikeTypeorm, readTypeorm } from './read-typeorm.js'

/** Each tool's reader and how its directory is recognised, in the order they are tried. */
const TOOLS: Readonly<
  Record<
    ForeignTool,
    {
      looksLike: (directory: string) => boolean
      read: (directory: string) => ForeignMigrationSet | Promise<ForeignMigrationSet>
      layout: string
    }
  >
> = {
  prisma: { looksLike: looksLikePrisma, read: readPrisma, layout: '<timestamp>_<name>/migration.sql' },
  'golang-migrate': {
    looksLike: looksLikeGolangMigrate,
    read: readGolangMigrate,
    layout: '<version>_<title>.up.sql and .down.sql',
  },
  flyway: { looksLike: looksLikeFlyway, read: readFlyway, layout: 'V<version>__<description>.sql' },
  dbmate: { looksLike: looksLikeDbmate, read: readDbmate, layout: '<version>_<name>.sql with -- migrate:up' },
  typeorm: {
    looksLike: looksLikeTypeorm,
    read: readTypeorm,
    layout: '<timestamp>-<Name>.ts with a MigrationInterface class',
  },
  // Before node-pg-migrate: both export up(); Knex's take `knex`.
  knex: { looksLike: looksLikeKnex, read: readKnex, layout: '<timestamp>_<name>.js / .ts with up(knex)' },
  'node-pg-migrate': {
    looksLike: looksLikeNodePgMigrate,
    read: readNodePgMigrate,
    layout: '<timestamp>_<name>.sql with -- Up Migration, or .js / .ts',
  },
}

/** The first tool whose layout a directory has, if any (it is not read further). */
export function recognisedTool(directory: string): ForeignTool | undefined {
  return FOREIGN_TOOLS.find((name) => TOOLS[name].looksLike(directory))
}

/** Reads a directory as the named tool's, or as the first tool whose layout it has. */
export async function readForeignMigrations(
  directory: string,
  tool: string | undefined,
): Promise<ForeignMigrationSet> {
  if (tool !== undefined) {
    if (!(FOREIGN_TOOLS as readonly string[]).includes(tool))
      throw new InvalidInputError(`--from ${tool} is not a tool strata convert reads`, {
        hint: `one of: ${FOREIGN_TOOLS.join(', ')}`,
      })
    return TOOLS[tool as ForeignTool].read(directory)
  }
  const recognised = recognisedTool(directory)
  if (recognised !== undefined) return TOOLS[recognised].read(directory)
  throw new InvalidInputError(`${directory} holds no migrations of a tool strata convert reads`, {
    hint: `it reads ${FOREIGN_TOOLS.map((name) => `${name} (${TOOLS[name].layout})`).join('; ')}. For a database migrated some other way: strata revision -m "baseline" --baseline`,
  })
}
