import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { locateInFile } from '../../config/describe-load-failure.js'
import { inlineParams } from '../../ops/inline-params.js'
import { readTextFile } from '../../util/utf8-text.js'
import {
  type CodeMigrationFile,
  type CodeStep,
  codeMigrationFiles,
  NotRenderable,
  ReadsDatabase,
  renderEach,
} from './code-migrations.js'
import type { ForeignMigration, ForeignMigrationSet, Unconvertible } from './foreign-migration.js'

// TypeORM's migrations are classes whose `up(queryRunner)` and `down(queryRunner)` run
// SQL through `queryRunner.query(...)` (what `typeorm migration:generate` writes). Their
// SQL is in the code as text: each class is run against a stand-in query runner that
// records each statement (its parameters inlined) instead of sending it. A migration
// built with TypeORM's schema builder (`queryRunner.createTable(new Table(...))`) needs
// TypeORM's own query runner and a database: it is named, not guessed.

const TYPEORM_FILE = /^(\d+)-(.+)\.(js|cjs|mjs|ts)$/
/** What a TypeORM migration's code says. */
export const TYPEORM_CODE = /\bimplements\s+MigrationInterface\b|\bup\s*\(\s*queryRunner\b/

/** TypeORM: `<timestamp>-<Name>.ts` exporting a migration class; recorded in `migrations.name` by the class name. */
export async function readTypeorm(directory: string): Promise<ForeignMigrationSet> {
  const rendered = await renderTypeormMigrations(
    directory,
    codeMigrationFiles(directory, TYPEORM_FILE, words),
  )
  return { tool: 'typeorm', ...rendered, leftOut: [], order: 'version' }
}

/** A directory of TypeORM migrations: a `<timestamp>-<Name>` code file with a migration class. */
export function looksLikeTypeorm(directory: string): boolean {
  return readdirSync(directory).some(
    (name) => TYPEORM_FILE.test(name) && TYPEORM_CODE.test(readTextFile(join(directory, name))),
  )
}

interface MigrationClass {
  new (): {
    name?: string
    transaction?: boolean
    up?: (queryRunner: unknown) => unknown
    down?: (queryRunner: unknown) => unknown
  }
}

/** Each file's migration class run against a recording query runner, in timestamp order. */
export async function renderTypeormMigrations(
  directory: string,
  files: readonly CodeMigrationFile[],
): Promise<{ migrations: ForeignMigration[]; unconvertible: Unconvertible[] }> {
  return renderEach(directory, files, 'typeorm', async (module, entry, path) => {
    const Migration = Object.values(module).find(
      (value): value is MigrationClass =>
        typeof value === 'function' && typeof value.prototype?.up === 'function',
    )
    if (Migration === undefined) throw new Error('it exports no migration class with an up method')
    const migration = new Migration()
    const up = await render((runner) => migration.up!(runner), path)
    const down =
      typeof migration.down === 'function'
        ? (await render((runner) => migration.down!(runner))).sql
        : undefined
    return {
      version: entry.version,
      title: entry.title,
      // TypeORM's migrations table names it by the class's `name`, else the class name.
      appliedKey: migration.name ?? Migration.name,
      up: up.sql,
      steps: up.steps,
      down,
      transactional: migration.transaction !== false,
      source: entry.file,
    }
  })
}

/** Runs one side against a query runner whose `query` records and whose other methods refuse. */
async function render(
  side: (queryRunner: unknown) => unknown,
  file?: string,
): Promise<{ sql: string; steps: CodeStep[] }> {
  const steps: CodeStep[] = []
  const query = async (sql: string, parameters: readonly unknown[] = []) => {
    if (/^\s*(?:select|show)\b/i.test(sql))
      throw new ReadsDatabase(`queryRunner.query('${sql.slice(0, 60)}')`)
    steps.push({
      sql: inlineParams(sql.trim(), parameters).replace(/;?$/, ';'),
      line: file === undefined ? undefined : locateInFile(new Error('typeorm query'), file),
    })
    return []
  }
  const queryRunner = new Proxy(
    { query },
    {
      get(target, property) {
        if (property === 'query') return target.query
        if (property === 'then') return undefined
        throw new NotRenderable(
          `it uses queryRunner.${String(property)}, TypeORM's own API (its schema builder, its entity manager), which needs TypeORM and a database to say its SQL`,
        )
      },
    },
  )
  await side(queryRunner)
  return { sql: steps.map((step) => step.sql).join('\n'), steps }
}

/** `CreateUsers1700000000000` → `create users` (the title of the converted migration). */
function words(name: string): string {
  return name
    .replace(/\d+$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]/g, ' ')
    .toLowerCase()
    .trim()
}
