import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { readTextFile } from '../../util/utf8-text.js'
import { codeMigrationFiles } from './code-migrations.js'
import type { ForeignMigrationSet } from './foreign-migration.js'
import { renderKnexMigrations } from './render-knex.js'

const KNEX_FILE = /^(\d+)[_-](.+)\.(js|cjs|mjs|ts)$/
/** What a Knex migration's code says: `knex.schema`, `(knex)`, `knex: Knex`. */
export const KNEX_CODE = /\bknex\.(?:schema|raw)\b|\(\s*knex\s*[,)]|\bknex\s*:\s*Knex\b/

/**
 * Knex: `<timestamp>_<name>.js` (or .ts) exporting `up(knex)` and `down(knex)`, recorded
 * in `knex_migrations.name` by the file name, extension included; rendered to SQL by the
 * project's own knex.
 */
export async function readKnex(directory: string): Promise<ForeignMigrationSet> {
  const rendered = await renderKnexMigrations(directory, codeMigrationFiles(directory, KNEX_FILE))
  return { tool: 'knex', ...rendered, leftOut: [], order: 'version' }
}

/** A directory of Knex migrations: a numbered code file that uses knex. */
export function looksLikeKnex(directory: string): boolean {
  return readdirSync(directory).some(
    (name) => KNEX_FILE.test(name) && KNEX_CODE.test(readTextFile(join(directory, name))),
  )
}
