import { relative } from 'node:path'
import type { Command } from 'commander'
import { configForDatabase } from '../config/database-config.js'
import { loadConfig } from '../config/load-config.js'
import type { ResolvedConfig } from '../config/types.js'
import type { ConnectionSpec } from '../db/connection-spec.js'
import { openTarget } from '../db/open-target.js'
import { type DatabaseTarget, resolveTarget } from '../db/resolve-target.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { keyValuePairs } from './option-values.js'
import { Output } from './output.js'

/** The global options every command accepts (DESIGN.md §3). */
export interface GlobalOptions {
  config?: string
  name?: string
  url?: string
  json?: boolean
  x?: string[]
  quiet?: boolean
  debug?: boolean
  allDatabases?: boolean
}

/**
 * What a command action gets: the global options, output, and lazy access to the
 * config and the database, so commands that need neither never load them.
 */
export class CommandContext {
  readonly output: Output
  #config: Promise<ResolvedConfig> | undefined

  constructor(
    readonly options: GlobalOptions,
    output?: Output,
  ) {
    this.output = output ?? new Output(Boolean(options.json), Boolean(options.quiet))
  }

  static from(command: Command): CommandContext {
    return new CommandContext(command.optsWithGlobals<GlobalOptions>())
  }

  /** The config, with the selected named database's own `migrations` keys applied. */
  config(): Promise<ResolvedConfig> {
    this.#config ??= loadConfig(this.options.config === undefined ? {} : { file: this.options.config }).then(
      (config) => configForDatabase(config, this.#selectedName(config)),
    )
    return this.#config
  }

  /** The config name of the database this command works on, when it has one. */
  #selectedName(config: ResolvedConfig): string | undefined {
    if (this.options.url !== undefined) return undefined
    if (this.options.name !== undefined) return this.options.name
    return process.env.DATABASE_URL ? undefined : config.default
  }

  /** The migration files and their graph; every file problem is reported before any connection. */
  async migrations(): Promise<MigrationSet> {
    const { loadMigrations } = await import('../graph/load-migrations.js')
    return loadMigrations(await this.config())
  }

  async target(): Promise<DatabaseTarget> {
    const config = await this.config()
    const target = resolveTarget({ url: this.options.url, name: this.options.name }, config)
    this.#noticeDotenv(target, config)
    return target
  }

  /**
   * Whether the selected database is there without starting anything: false only when it
   * is the development server and that is not running. For commands that must not cost a
   * server start (a check, a prune), which then work without the database.
   */
  async databaseWithoutStarting(): Promise<boolean> {
    if ((await this.target()).source !== 'embedded dev server') return true
    const { devStatus } = await import('../dev/index.js')
    return devStatus(await this.config()).running
  }

  #dotenvNoticed = false

  /** Says once when the database was chosen by a variable from `.env`, not from the environment. */
  #noticeDotenv(target: DatabaseTarget, config: ResolvedConfig): void {
    const keys = config.dotenv?.keys ?? []
    const used =
      target.source === 'DATABASE_URL'
        ? keys.filter((key) => key === 'DATABASE_URL')
        : target.source === 'PG* variables'
          ? keys.filter((key) => key.startsWith('PG'))
          : []
    if (used.length === 0 || this.#dotenvNoticed) return
    this.#dotenvNoticed = true
    this.output.notice(
      `Using ${used.join(', ')} from ${relative(process.cwd(), config.dotenv!.file) || '.env'} (the environment's own value wins; STRATA_NO_DOTENV=1 skips the file)`,
    )
  }

  /** The connection spec of the selected database, starting the dev server when it is the fallback. */
  async connectionSpec(): Promise<ConnectionSpec> {
    return openTarget(await this.target(), await this.config(), (line) => this.output.notice(line))
  }

  /** `-x KEY=VALUE` arguments, passed to migrations. */
  migrationArguments(): Record<string, string> {
    return keyValuePairs(this.options.x ?? [], '-x', 'tenant=acme')
  }
}
