import type { ResolvedConfig } from '../config/types.js'
import { connect } from '../db/connect.js'
import { quoteIdent } from '../db/quote.js'
import { InvalidInputError } from '../errors/index.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { type MigrateOptions, type MigrateResult, upgrade } from '../runner/migrate.js'
import { devConnectionSpec, ensureDevServer } from './dev-server.js'

export interface DevResetOptions {
  readonly config: ResolvedConfig
  /** The project's migrations, loaded before anything is dropped: a broken file stops the reset first. */
  readonly migrations: MigrationSet
  /** Apply every migration to the new database (default true), as Prisma's `migrate reset` does. */
  readonly upgrade?: boolean
  readonly onStep?: MigrateOptions['onStep']
  readonly onNotice?: MigrateOptions['onNotice']
  readonly onProgress?: MigrateOptions['onProgress']
  readonly args?: Readonly<Record<string, string>>
}

export interface DevResetResult {
  readonly database: string
  readonly host: string
  readonly port: number
  /** Whether the server had to be started first. */
  readonly started: boolean
  /** The upgrade of the new database; undefined with `upgrade: false` or no migrations. */
  readonly upgraded: MigrateResult | undefined
}

/**
 * Drops the development database (`dev.database`) of the project's embedded server and
 * creates it empty, then applies every migration: a clean database at the heads after
 * experiments by hand. Only the embedded development server is ever touched, never a
 * configured database; the CLI asks before calling this.
 *
 * @example await devReset({ config, migrations: await loadMigrations(config) })
 */
export async function devReset(options: DevResetOptions): Promise<DevResetResult> {
  const { config } = options
  const database = config.dev.database
  if (database === 'postgres' || database.startsWith('template'))
    throw new InvalidInputError(
      `dev.database is ${database}, one of the server's own databases: strata dev reset drops only a project's database`,
      { hint: "set dev.database in the config to the project's database name" },
    )
  const { started } = await ensureDevServer(config)
  const admin = await connect(devConnectionSpec(config, 'postgres'))
  try {
    // FORCE ends the sessions still on it (an application, a psql), as a reset means.
    await admin.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`)
    await admin.client.query(`CREATE DATABASE ${quoteIdent(database)}`)
  } finally {
    await admin.close()
  }
  const spec = devConnectionSpec(config)
  const apply = options.upgrade !== false && options.migrations.graph.size > 0
  const upgraded = apply
    ? await upgrade(
        {
          config,
          spec,
          migrations: options.migrations,
          ...(options.args === undefined ? {} : { args: options.args }),
          ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
          ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
          ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        },
        'heads',
      )
    : undefined
  return { database, host: spec.host, port: spec.port, started, upgraded }
}
