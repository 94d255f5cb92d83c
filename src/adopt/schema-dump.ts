import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectionArguments, withClientEnvironment } from '../backup/client-environment.js'
import { ClientProgramError, pickClientProgram, probeClientPrograms } from '../backup/client-programs.js'
import { lastLines, runProgram } from '../backup/run-program.js'
import { SAVED_SCHEMA } from '../backup/saved-data.js'
import type { ResolvedConfig } from '../config/types.js'
import { NOT_EXTENSION_MEMBER, NOT_SYSTEM_SCHEMA } from '../db/catalog-filters.js'
import { withConnection } from '../db/connect.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { quoteIdent } from '../db/quote.js'
import { InvalidInputError, OperationFailedError } from '../errors/index.js'
import { runnerTables } from '../runner/tables.js'
import { cleanSchemaDump } from './clean-schema-dump.js'
import { MIGRATION_TOOL_TABLES } from './migration-tool-tables.js'

/** A bookkeeping table of a migration tool, left out of the baseline. */
export interface LeftOutTable {
  readonly table: string
  readonly tool: string
  readonly rows: number
  /** Strata's own version table (rows there make `stamp` need `--purge`). */
  readonly isVersionTable: boolean
}

export interface SchemaDump {
  /** The schema as migration SQL (see `cleanSchemaDump`). */
  readonly sql: string
  /** Tables, views and functions the schema holds (for the summary). */
  readonly objects: number
  readonly leftOut: readonly LeftOutTable[]
  /** `pg_dump 16.4`. */
  readonly dumpedWith: string
}

/**
 * The schema of a database as it is, for a baseline migration: `pg_dump --schema-only`
 * without owners, privileges, tablespaces, publications and subscriptions (they belong
 * to each server, not to the schema every database should have), without the tables
 * of migration tools and without `strata_saved`. A database with nothing in it is
 * refused: there is nothing to adopt.
 */
export async function dumpSchema(config: ResolvedConfig, spec: ConnectionSpec): Promise<SchemaDump> {
  const probing = probeClientPrograms('pg_dump', { pgBinDir: config.pgBinDir })
  const tables = runnerTables(config)
  const tools: Record<string, string> = {
    ...MIGRATION_TOOL_TABLES,
    [tables.version.name]: MIGRATION_TOOL_TABLES[tables.version.name] ?? 'Strata',
    [tables.history.name]: 'Strata',
  }
  const facts = await withConnection(spec, async ({ client, serverVersionNum }) => {
    const found = await client.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relname = ANY ($1::text[]) AND ${NOT_SYSTEM_SCHEMA} ORDER BY 1, 2`,
      [Object.keys(tools)],
    )
    const leftOut: LeftOutTable[] = []
    for (const row of found.rows) {
      const qualified = `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`
      const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified}`)
      leftOut.push({
        table: `${row.schema}.${row.name}`,
        tool: tools[row.name]!,
        rows: count.rows[0]!.n,
        isVersionTable: row.schema === tables.version.schema && row.name === tables.version.name,
      })
    }
    // pg_dump leaves a serial column's sequence in when its table is excluded.
    const sequences = await client.query<{ schema: string; name: string }>(
      `SELECT sn.nspname AS schema, s.relname AS name
         FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
         JOIN pg_namespace sn ON sn.oid = s.relnamespace
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.deptype IN ('a', 'i') AND d.refobjid = ANY ($1::regclass[])`,
      [found.rows.map((row) => `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`)],
    )
    const ownedSequences = sequences.rows.map((row) => `${row.schema}.${row.name}`)
    const objects = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
                  AND ${NOT_SYSTEM_SCHEMA} AND ${NOT_EXTENSION_MEMBER} AND n.nspname <> $1
                  AND NOT (c.relname = ANY ($2::text[])))
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE ${NOT_SYSTEM_SCHEMA} AND n.nspname <> $1 AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')) AS n`,
      [SAVED_SCHEMA, Object.keys(tools)],
    )
    return { leftOut, ownedSequences, objects: Number(objects.rows[0]!.n), serverVersionNum }
  })
  if (facts.objects <= 0) {
    throw new InvalidInputError(
      `${spec.database} holds no tables, views or functions: there is no schema to adopt`,
      {
        hint: 'start the history with `strata revision -m "create users"` instead',
      },
    )
  }
  const major = Math.floor(facts.serverVersionNum / 10000)
  let pgDump: ReturnType<typeof pickClientProgram>
  try {
    pgDump = pickClientProgram('pg_dump', await probing, {
      purpose: `the server at ${spec.host}:${spec.port} (PostgreSQL ${major})`,
      minimumMajor: major,
      pgBinDir: config.pgBinDir,
    })
  } catch (error) {
    // Without a pg_dump for the server, the catalog still gives a baseline.
    if (!(error instanceof ClientProgramError)) throw error
    throw new ClientProgramError(error.message, {
      ...(error.where === undefined ? {} : { where: error.where }),
      hint: `${error.hint ?? ''}${error.hint ? '; or, ' : ''}without pg_dump: \`strata revision -m "baseline" --autogenerate\` writes the baseline from the catalog (tables, indexes, constraints, types, views, functions, triggers, policies; not grants or owners) and stamps the database`,
    })
  }
  const dir = mkdtempSync(join(tmpdir(), 'strata-baseline-'))
  try {
    const file = join(dir, 'schema.sql')
    const args = [
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '--no-tablespaces',
      '--no-publications',
      '--no-subscriptions',
      '--no-security-labels',
      '--exclude-schema',
      quoteIdent(SAVED_SCHEMA),
      ...[...facts.leftOut.map((left) => left.table), ...facts.ownedSequences].flatMap((name) => [
        '--exclude-table',
        name
          .split('.')
          .map((part) => quoteIdent(part))
          .join('.'),
      ]),
      '-f',
      file,
      ...connectionArguments(spec),
    ]
    const run = await withClientEnvironment(spec, (env) => runProgram(pgDump.path, args, env))
    if (run.code !== 0) {
      throw new OperationFailedError(`pg_dump --schema-only failed: ${lastLines(run.stderr)}`, {
        hint: 'the database was only read; fix the cause and run the command again',
      })
    }
    return {
      sql: cleanSchemaDump(readFileSync(file, 'utf8')),
      objects: facts.objects,
      leftOut: facts.leftOut,
      dumpedWith: `pg_dump ${pgDump.version}`,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
