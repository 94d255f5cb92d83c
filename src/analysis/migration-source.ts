import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ResolvedConfig } from '../config/types.js'
import { InvalidInputError } from '../errors/index.js'
import type { MigrationSource } from './analysed-statement.js'
import { loadParser, type ParsedStatement, parseSql } from './parse-sql.js'
import { readPsqlScript } from './psql-script.js'

/** A TypeScript or JavaScript migration file. */
export function isScriptMigration(path: string): boolean {
  return /\.(ts|mts|js|mjs)$/.test(path)
}

/**
 * A file named on the command line: a Strata migration (SQL with `-- migrate:up`, or
 * TypeScript) is analysed as the runner would run it; any other SQL as a plain script
 * in autocommit mode, as psql would run it.
 */
export async function fileSource(
  path: string,
  text: string,
  config: ResolvedConfig,
  args: Readonly<Record<string, string>> = {},
  /** psql variables a plain SQL script uses (`:name`), as `psql -v` gives them. */
  psqlVariables: Readonly<Record<string, string>> = {},
): Promise<MigrationSource> {
  await loadParser() // see migrationSource
  if (/\.(c?js|mjs|ts)$/.test(path) && /\bup\b/.test(text)) {
    // node-pg-migrate's and Knex's migrations, rendered by the tool itself.
    const { codeMigrationTool, codeMigrationSource } = await import('./code-migration-source.js')
    const tool = codeMigrationTool(path, text)
    if (tool !== undefined) return codeMigrationSource(path, tool)
  }
  if (isPrismaMigration(path)) return prismaMigrationSource(path, text)
  if (isScriptMigration(path) || /^\s*--\s*migrate:up\s*$/im.test(text)) {
    // The renderer loads the graph, ops and runner modules: only when a migration needs them.
    const { migrationFileSource } = await import('./migration-file-source.js')
    return migrationFileSource(path, text, config, args)
  }
  return plainSqlSource(path, text, psqlVariables)
}

/** A Prisma Migrate migration: `<name>/migration.sql` in a directory with `migration_lock.toml`. */
function isPrismaMigration(path: string): boolean {
  return basename(path) === 'migration.sql' && existsSync(join(dirname(dirname(path)), 'migration_lock.toml'))
}

/**
 * A Prisma migration as Prisma Migrate runs it: the whole file sent as one simple query,
 * which PostgreSQL runs as one transaction (so a lone `CREATE INDEX CONCURRENTLY` runs,
 * and beside other statements fails), with no lock_timeout.
 */
function prismaMigrationSource(path: string, text: string): MigrationSource {
  const source = plainSqlSource(path, text)
  // With its own BEGIN, the script's transaction is the one it writes (PostgreSQL makes
  // the implicit one explicit there): read as written, as psql would run it.
  const ownTransaction = source.up.some((statement) =>
    /^\s*(?:BEGIN|START\s+TRANSACTION)\b/i.test(statement.sql),
  )
  return {
    ...source,
    title: `${basename(dirname(path))} (Prisma)`,
    start: { ...source.start, inTransaction: source.up.length > 1 && !ownTransaction },
  }
}

/**
 * Plain SQL (a file or stdin), run statement by statement in autocommit mode, as psql
 * runs a script: its meta-commands are psql's, not SQL (see `readPsqlScript`).
 */
export function plainSqlSource(
  path: string,
  text: string,
  psqlVariables: Readonly<Record<string, string>> = {},
): MigrationSource {
  const script = readPsqlScript(text, psqlVariables)
  let up: ParsedStatement[]
  try {
    up = parseSql(script.sql, path, 1)
  } catch (error) {
    if (!(error instanceof InvalidInputError) || script.unresolved.length === 0) throw error
    const names = script.unresolved.map((name) => `:${name}`).join(', ')
    throw new InvalidInputError(error.message, {
      where: error.where,
      hint: `${names} ${script.unresolved.length === 1 ? 'is a psql variable' : 'are psql variables'} the script does not \\set: give ${script.unresolved.length === 1 ? 'it' : 'them'} as psql -v would, \`strata check --set ${script.unresolved[0]}=<value> ...\``,
    })
  }
  return {
    id: path,
    title: path,
    file: path,
    revision: undefined,
    phase: undefined,
    hasDowngrade: undefined,
    start: { inTransaction: false, lockTimeoutMs: undefined, statementTimeoutMs: undefined },
    up,
    down: undefined,
    allow: [],
    unverifiable: script.unverifiable,
    invalidCalls: [],
  }
}
