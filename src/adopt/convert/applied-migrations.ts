import type pg from 'pg'
import type { ForeignTool } from './foreign-migration.js'

/** What the other tool's bookkeeping table says is applied. */
export interface AppliedByTool {
  /** The table read, as found on the search path. */
  readonly table: string
  /** Keys (see `ForeignMigration.appliedKey`) of the migrations applied; golang-migrate: the one current version. */
  readonly keys: readonly string[]
  /** golang-migrate records only the current version: every lower one is applied. */
  readonly upTo: boolean
  /** Runs the tool left failed or half-done: each one line. */
  readonly problems: readonly string[]
}

/**
 * Reads the tool's bookkeeping table in the database (undefined when it has none), so
 * the converted history can be stamped where the tool left the database.
 */
export async function readAppliedByTool(
  client: pg.ClientBase,
  tool: ForeignTool,
): Promise<AppliedByTool | undefined> {
  const table = TABLES[tool]
  const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
    table,
  ])
  const found = rows[0]?.found
  if (!found) return undefined
  switch (tool) {
    case 'prisma': {
      const result = await client.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
        `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
           FROM ${found} ORDER BY started_at`,
      )
      return {
        table: found,
        keys: result.rows.filter((row) => row.finished && !row.rolled_back).map((row) => row.migration_name),
        upTo: false,
        problems: result.rows
          .filter((row) => !row.finished && !row.rolled_back)
          .map((row) => `${row.migration_name} failed and was not resolved (prisma migrate resolve)`),
      }
    }
    case 'golang-migrate': {
      const result = await client.query<{ version: string; dirty: boolean }>(
        `SELECT version::text AS version, dirty FROM ${found}`,
      )
      return {
        table: found,
        keys: result.rows.map((row) => row.version),
        upTo: true,
        problems: result.rows
          .filter((row) => row.dirty)
          .map(
            (row) =>
              `version ${row.version} is dirty: it failed part-way, so its changes may be half applied`,
          ),
      }
    }
    case 'flyway': {
      const result = await client.query<{ version: string; success: boolean }>(
        `SELECT version, success FROM ${found} WHERE version IS NOT NULL ORDER BY installed_rank`,
      )
      return {
        table: found,
        keys: result.rows.filter((row) => row.success).map((row) => row.version),
        upTo: false,
        problems: result.rows
          .filter((row) => !row.success)
          .map((row) => `version ${row.version} failed (flyway repair)`),
      }
    }
    case 'dbmate': {
      const result = await client.query<{ version: string }>(`SELECT version::text AS version FROM ${found}`)
      return { table: found, keys: result.rows.map((row) => row.version), upTo: false, problems: [] }
    }
    case 'typeorm': {
      const result = await client.query<{ name: string }>(
        `SELECT name FROM ${found} ORDER BY "timestamp", id`,
      )
      return { table: found, keys: result.rows.map((row) => row.name), upTo: false, problems: [] }
    }
    case 'knex': {
      const result = await client.query<{ name: string }>(`SELECT name FROM ${found} ORDER BY id`)
      // knex_migrations_lock.is_locked = 1: a knex run holds it, or one was killed holding it.
      const locked = await client
        .query<{ locked: boolean }>(
          `SELECT bool_or(is_locked = 1) AS locked FROM ${found.replace(/knex_migrations("?)$/, 'knex_migrations_lock$1')}`,
        )
        .then(
          (lock) => lock.rows[0]?.locked === true,
          () => false,
        )
      return {
        table: found,
        keys: result.rows.map((row) => row.name),
        upTo: false,
        problems: locked
          ? [
              'knex_migrations_lock is held: a knex migration is running, or one was killed part-way (its changes may be half applied)',
            ]
          : [],
      }
    }
    case 'node-pg-migrate': {
      const result = await client.query<{ name: string }>(`SELECT name FROM ${found} ORDER BY run_on`)
      return { table: found, keys: result.rows.map((row) => row.name), upTo: false, problems: [] }
    }
  }
}

/** Each tool's bookkeeping table (golang-migrate and dbmate share the name; their columns differ). */
const TABLES: Readonly<Record<ForeignTool, string>> = {
  prisma: '_prisma_migrations',
  'golang-migrate': 'schema_migrations',
  dbmate: 'schema_migrations',
  flyway: 'flyway_schema_history',
  typeorm: 'migrations',
  knex: 'knex_migrations',
  'node-pg-migrate': 'pgmigrations',
}
