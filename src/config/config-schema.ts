import { s } from './schema.js'

const sslmode = s.string({ oneOf: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] })
// A number is milliseconds; a string must say its unit: '10' would be 10 ms, as PostgreSQL
// reads it, where whoever wrote it almost always meant seconds (as --lock-timeout refuses it).
const duration = s.union(
  s.number({ min: 0 }),
  s.string({
    pattern: /^\s*\d+(\.\d+)?\s*(ms|s|min|h)\s*$/,
    patternText: "a duration with its unit, such as '500ms', '5s' or '2min' (a number alone is milliseconds)",
  }),
)
const identifier = s.string({
  pattern: /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/,
  patternText: 'a PostgreSQL identifier',
})

export const databaseSchema = s.union(
  s.string(),
  s.object({
    url: s.string(),
    host: s.string(),
    port: s.number({ integer: true, min: 1, max: 65535 }),
    user: s.string(),
    password: s.string(),
    database: s.string(),
    sslmode,
    migrations: s.object({
      directories: s.array(s.string()),
      versionTable: identifier,
      versionTableSchema: identifier,
      historyTable: identifier,
    }),
  }),
)

/** The shape of `strata.config.*`; every key a user may write is listed here. */
export const configSchema = s.object({
  databases: s.record(databaseSchema),
  default: s.string(),
  migrations: s.object({
    directories: s.array(s.string()),
    versionTable: identifier,
    versionTableSchema: identifier,
    historyTable: identifier,
    fileTemplate: s.string(),
    recursive: s.boolean(),
    transactionPerMigration: s.boolean(),
    lockWaitTimeout: s.number({ min: 0, max: 86400 }),
    progressInterval: duration,
  }),
  connection: s.object({
    connectTimeout: s.number({ min: 1, max: 3600 }),
    applicationName: s.string(),
  }),
  lock: s.object({
    timeout: duration,
    statementTimeout: duration,
    retries: s.number({ integer: true, min: 0, max: 100 }),
    retryDelay: duration,
    maxRetryDelay: duration,
  }),
  backfill: s.object({
    maxReplicaLagMb: s.number({ min: 1 }),
    replicaLagTimeout: duration,
  }),
  check: s.object({
    rules: s.record(s.string({ oneOf: ['error', 'warning', 'info', 'off'] })),
    exclude: s.array(s.string()),
    serverVersion: s.number({ integer: true, min: 9, max: 30 }),
    longTransactionSeconds: s.number({ min: 0, max: 86400 }),
  }),
  health: s.object({
    urls: s.array(
      s.union(
        s.string(),
        s.object({
          name: s.string(),
          url: s.string(),
          timeout: duration,
          expectStatus: s.number({ integer: true, min: 100, max: 599 }),
        }),
      ),
    ),
    schemas: s.array(s.string()),
    roles: s.record(
      s.array(
        s.string({
          oneOf: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'],
        }),
      ),
    ),
    sequenceThreshold: s.number({ min: 0.01, max: 1 }),
    orphanBatchRows: s.number({ integer: true, min: 1000 }),
    ignoreTables: s.array(s.string()),
    scratchUrl: s.string(),
    longRunningSeconds: s.number({ min: 0, max: 86400 }),
    lockWaitSeconds: s.number({ min: 0, max: 86400 }),
    slotWalMegabytes: s.number({ min: 1 }),
    replicaLagMegabytes: s.number({ min: 1 }),
  }),
  backup: s.object({
    directory: s.string(),
    format: s.string({ oneOf: ['plain', 'custom', 'directory'] }),
    compression: s.union(
      s.number({ integer: true, min: 0, max: 9 }),
      s.string({
        pattern: /^(none|gzip|lz4|zstd)(:\d+)?$|^\d$/,
        patternText: "a level 0-9 or 'gzip:N', 'lz4', 'zstd:N'",
      }),
    ),
    jobs: s.number({ integer: true, min: 1, max: 64 }),
    retentionDays: s.number({ min: 0, max: 36500 }),
    keepVerified: s.number({ integer: true, min: 0, max: 1000 }),
    beforeUpgrade: s.boolean(),
    serverCopyLimitMb: s.number({ min: 0 }),
    walArchive: s.string(),
    hooks: s.object({ stopServices: s.string(), startServices: s.string() }),
    excludeTableData: s.array(s.string()),
  }),
  deploy: s.object({
    log: s.string(),
    reportsDirectory: s.string(),
    acknowledge: s.array(s.string()),
    rehearsal: s.string({ oneOf: ['copy', 'schema', 'off'] }),
    sampleRows: s.number({ integer: true, min: 0, max: 1_000_000 }),
    watchInterval: duration,
    keepServerCopies: s.number({ integer: true, min: 1, max: 100 }),
    // A string is the webhook alone. Checked in load-config without quoting it: the URL holds a token.
    notify: s.union(
      s.string(),
      s.object({
        webhook: s.string(),
        command: s.string(),
      }),
    ),
  }),
  tenants: s.object({
    servers: s.array(s.string()),
    match: s.string(),
    schemas: s.string(),
    list: s.string(),
    concurrency: s.number({ integer: true, min: 1, max: 1000 }),
    reportsDirectory: s.string(),
  }),
  pgBinDir: s.string(),
  dev: s.object({
    port: s.number({ integer: true, min: 1, max: 65535 }),
    postgresVersion: s.number({ integer: true, min: 15, max: 18 }),
    dataDir: s.string(),
    database: identifier,
  }),
})
