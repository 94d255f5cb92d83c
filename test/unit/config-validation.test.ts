import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configForDatabase } from '../../src/config/database-config.js'
import { resolveConfig } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors/index.js'

const resolve = (raw: unknown, env: NodeJS.ProcessEnv = {}) =>
  resolveConfig(raw, '/p/strata.config.ts', '/p', env)

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`)
    return error.message
  }
  assert.fail('expected an error')
}

test('defaults apply to an empty config, with paths relative to the config file', () => {
  const config = resolve({})
  assert.deepEqual(config.migrations.directories, ['/p/migrations/versions'])
  assert.equal(config.migrations.versionTable, 'alembic_version')
  assert.equal(config.dev.port, 5433)
  assert.equal(config.dev.dataDir, '/p/.strata/pg')
  assert.equal(config.connection.applicationName, 'strata')
})

test('an unknown key names the closest valid key', () => {
  const message = messageOf(() => resolve({ databse: {} }))
  assert.match(message, /unknown key "databse" at the top level\. Did you mean "databases"\?/)
  const nested = messageOf(() => resolve({ dev: { prot: 5 } }))
  assert.match(nested, /dev\.prot: unknown key "prot" in dev\. Did you mean "port"\?/)
})

test('a wrong type names the key, what was expected and what was found', () => {
  const message = messageOf(() => resolve({ dev: { port: '5433' } }))
  assert.match(message, /dev\.port: expected an integer from 1 to 65535, found the string "5433"/)
  const enumMessage = messageOf(() => resolve({ databases: { primary: { url: 'x', sslmode: 'requir' } } }))
  assert.match(
    enumMessage,
    /databases\.primary\.sslmode: expected one of .*found the string "requir"\. Did you mean "require"\?/,
  )
})

test('a duration written as a string must say its unit; a number is milliseconds', () => {
  const message = messageOf(() => resolve({ lock: { timeout: '10' } }))
  assert.match(
    message,
    /lock\.timeout: expected a duration with its unit, such as '500ms', '5s' or '2min' \(a number alone is milliseconds\), found the string "10"/,
  )
  assert.equal(resolve({ lock: { timeout: '10s' } }).lock.timeout, 10_000)
  assert.equal(resolve({ lock: { timeout: 10 } }).lock.timeout, 10)
  // PostgreSQL keeps timeouts in an int of milliseconds, and Node's timers fire at once
  // past the same bound: a longer duration is refused here.
  assert.match(
    messageOf(() => resolve({ lock: { statementTimeout: '600h' } })),
    /lock\.statementTimeout: "600h" is more than 2147483647 ms \(about 24 days\), the longest a timeout or an interval can be/,
  )
  assert.match(
    messageOf(() => resolve({ deploy: { watchInterval: 2_592_000_000 } })),
    /deploy\.watchInterval: 2592000000 is more than 2147483647 ms/,
  )
  assert.equal(resolve({ lock: { timeout: '24h' } }).lock.timeout, 86_400_000)
})

test('a config that is not an object says what it is', () => {
  assert.match(
    messageOf(() => resolve([])),
    /the default export must be an object .*, found an array/,
  )
  assert.match(
    messageOf(() => resolveConfig(null, '/p/strata.config.json', '/p')),
    /strata\.config\.json: the file must be an object .*, found null/,
  )
})

test('every problem is reported at once', () => {
  const message = messageOf(() => resolve({ dev: { port: -1 }, migrations: { directories: 'x' } }))
  assert.match(message, /dev\.port/)
  assert.match(message, /migrations\.directories: expected an array of strings/)
})

test('default must name a configured database', () => {
  assert.match(
    messageOf(() => resolve({ databases: { primary: 'x' }, default: 'primry' })),
    /names the database "primry"/,
  )
})

test('env interpolation fills values and names a missing variable', () => {
  const config = resolve(
    { dev: { dataDir: '${DATA_ROOT}/pg' }, migrations: { historyTable: '${HT:-hist}' } },
    { DATA_ROOT: '/srv' },
  )
  assert.equal(config.dev.dataDir, '/srv/pg')
  assert.equal(config.migrations.historyTable, 'hist')
  const message = messageOf(() => resolve({ dev: { dataDir: '${NOPE_NOT_SET}/pg' } }))
  assert.match(message, /environment variable NOPE_NOT_SET is not set \(used by dev\.dataDir\)/)
})

test('the health section: defaults, endpoint names without secrets, and clear errors', () => {
  const defaults = resolve({}).health
  assert.equal(defaults.sequenceThreshold, 0.8)
  assert.equal(defaults.orphanBatchRows, 1_000_000)
  assert.deepEqual(defaults.urls, [])
  const config = resolve({
    health: {
      urls: [
        'https://app.internal:8443/healthz?token=abc',
        { name: 'api', url: 'http://localhost:8000/health', timeout: '2s' },
      ],
    },
  })
  assert.equal(config.health.urls[0]!.name, 'app.internal:8443/healthz')
  assert.equal(config.health.urls[0]!.timeout, 5000)
  assert.equal(config.health.urls[1]!.timeout, 2000)
  assert.match(
    messageOf(() => resolve({ health: { roles: { app: ['SELECT', 'INSRT'] } } })),
    /health\.roles\.app\[1\]: expected one of "SELECT", "INSERT"/,
  )
  assert.match(
    messageOf(() => resolve({ health: { sequenceThreshold: 80 } })),
    /health\.sequenceThreshold: expected a number from 0\.01 to 1/,
  )
  assert.match(
    messageOf(() => resolve({ health: { urls: [{ name: 'x' }] } })),
    /health\.urls\[0\]: expected an http\(s\) URL .* found no url/,
  )
})

test("check's offline server version follows dev.postgresVersion unless check.serverVersion says otherwise", () => {
  assert.equal(resolveConfig({}, undefined, '/p').check.serverVersion, 16)
  assert.equal(resolveConfig({ dev: { postgresVersion: 18 } }, undefined, '/p').check.serverVersion, 18)
  assert.equal(
    resolveConfig({ dev: { postgresVersion: 18 }, check: { serverVersion: 17 } }, undefined, '/p').check
      .serverVersion,
    17,
  )
})

test('deploy.notify: a string is the webhook; a value that holds a URL is never repeated in a config error', () => {
  const hook = 'https://hooks.slack.com/services/T0/B0/tok3n'
  const config = resolve({ deploy: { notify: '${HOOK}' } }, { HOOK: hook })
  assert.deepEqual({ ...config.deploy.notify }, { webhook: hook, command: undefined })
  const notAUrl = messageOf(() => resolve({ deploy: { notify: { webhook: 'hooks.slack.com/tok3n' } } }))
  assert.match(
    notAUrl,
    /deploy\.notify\.webhook: expected an http:\/\/ or https:\/\/ URL, found text of 21 characters/,
  )
  assert.doesNotMatch(notAUrl, /tok3n/)
  const misplaced = messageOf(() => resolve({ dev: { port: hook } }))
  assert.match(
    misplaced,
    /dev\.port: expected an integer from 1 to 65535, found a https URL on hooks\.slack\.com \(the rest not shown\)/,
  )
  assert.doesNotMatch(misplaced, /tok3n/)
})

test('migrations settings that would make Strata use the wrong table are refused by key; a directory listed twice is one', () => {
  assert.match(
    messageOf(() => resolve({ migrations: { historyTable: 'alembic_version' } })),
    /migrations\.historyTable: "alembic_version" is the version table's name too/,
  )
  assert.match(
    messageOf(() => resolve({ migrations: { versionTable: 'audit', historyTable: 'audit' } })),
    /migrations\.historyTable: "audit" is the version table's name too/,
  )
  assert.match(
    messageOf(() => resolve({ migrations: { historyTable: 'strata_backfill' } })),
    /migrations\.historyTable: "strata_backfill" is the table Strata keeps backfill checkpoints in/,
  )
  assert.match(
    messageOf(() => resolve({ migrations: { directories: [] } })),
    /migrations\.directories: lists no directory/,
  )
  for (const schema of ['information_schema', 'pg_catalog', 'pg_toast', 'PG_temp'])
    assert.match(
      messageOf(() => resolve({ migrations: { versionTableSchema: schema } })),
      new RegExp(`migrations\\.versionTableSchema: "${schema}" is a schema PostgreSQL keeps for itself`),
    )
  const twice = resolve({
    migrations: { directories: ['migrations/versions', 'migrations/versions/', '/p/migrations/versions'] },
  })
  assert.deepEqual(twice.migrations.directories, ['/p/migrations/versions'])
  // A database's own migrations are checked as they are merged over the top level's.
  const config = resolve({
    databases: { analytics: { url: 'postgresql://h/a', migrations: { historyTable: 'alembic_version' } } },
  })
  assert.match(
    messageOf(() => configForDatabase(config, 'analytics', {})),
    /databases\.analytics\.migrations\.historyTable: "alembic_version" is the version table's name too/,
  )
  assert.equal(
    resolve({ migrations: { versionTableSchema: 'ops' } }).migrations.versionTableSchemaConfigured,
    true,
  )
  assert.equal(resolve({}).migrations.versionTableSchemaConfigured, false)
})
