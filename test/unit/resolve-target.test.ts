import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load-config.js'
import { resolveTarget } from '../../src/db/resolve-target.js'
import { ConfigError, type InvalidInputError } from '../../src/errors/index.js'

const config = resolveConfig(
  {
    databases: {
      primary: '${PRIMARY_DB_URL}',
      analytics: { url: '${ANALYTICS_DB_URL}', sslmode: 'disable' },
      fields: { host: 'h', port: 6543, database: 'f', user: 'fu' },
    },
    default: 'primary',
  },
  '/p/strata.config.ts',
  '/p',
  {},
)
const env = {
  PRIMARY_DB_URL: 'postgresql://p@primary:5433/primary',
  ANALYTICS_DB_URL: 'postgresql://a@analytics:5433/analytics',
  DATABASE_URL: 'postgresql://d@fromenv/db',
  PGHOST: 'libpq-host',
}

test('--url wins over everything', () => {
  const target = resolveTarget({ url: 'postgresql://x@url/db', name: 'primary' }, config, env)
  assert.equal(target.source, '--url')
  assert.equal(target.spec?.host, 'url')
})

test('-n NAME comes next, with env interpolation and field overrides', () => {
  const target = resolveTarget({ name: 'analytics' }, config, env)
  assert.equal(target.source, '-n')
  assert.equal(target.spec?.host, 'analytics')
  assert.equal(target.spec?.sslmode, 'disable')
  const fields = resolveTarget({ name: 'fields' }, config, env)
  assert.deepEqual([fields.spec?.host, fields.spec?.port, fields.spec?.database], ['h', 6543, 'f'])
})

test('then DATABASE_URL, the config default, PG* variables and finally the embedded server', () => {
  assert.equal(resolveTarget({}, config, env).source, 'DATABASE_URL')
  const withoutUrl = { ...env, DATABASE_URL: undefined }
  assert.equal(resolveTarget({}, config, withoutUrl).source, 'config default')
  const noConfig = resolveConfig({}, undefined, '/p', {})
  assert.equal(resolveTarget({}, noConfig, { PGHOST: 'libpq-host' }).source, 'PG* variables')
  const embedded = resolveTarget({}, noConfig, {})
  assert.equal(embedded.source, 'embedded dev server')
  assert.equal(embedded.spec, undefined)
})

test('an unknown name suggests the closest one; a missing variable is named', () => {
  assert.throws(
    () => resolveTarget({ name: 'primay' }, config, env),
    (error: unknown) => {
      return (
        error instanceof ConfigError &&
        /no database named "primay".*Did you mean "primary"\?/.test(error.message)
      )
    },
  )
  assert.throws(
    () => resolveTarget({ name: 'analytics' }, config, {}),
    /ANALYTICS_DB_URL is not set \(used by databases\.analytics\.url\)/,
  )
})

test('a URL that cannot be decoded is reported with where it was given', () => {
  const broken = 'postgresql://app:s3cr%t@host/db'
  const where = (run: () => unknown) => {
    try {
      run()
    } catch (error) {
      return (error as InvalidInputError).where
    }
    return 'no error'
  }
  assert.equal(
    where(() => resolveTarget({ url: broken }, config, env)),
    '--url',
  )
  assert.equal(
    where(() => resolveTarget({}, config, { ...env, DATABASE_URL: broken })),
    'DATABASE_URL',
  )
  assert.equal(
    where(() => resolveTarget({}, config, { PRIMARY_DB_URL: broken })),
    'databases.primary in /p/strata.config.ts',
  )
  assert.equal(
    where(() => resolveTarget({ name: 'analytics' }, config, { ANALYTICS_DB_URL: broken })),
    'databases.analytics.url in /p/strata.config.ts',
  )
})
