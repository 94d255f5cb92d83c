import type { ConnectionSpec } from '../../src/db/connection-spec.js'
import { parseConnectionString } from '../../src/db/connection-spec.js'

/** The servers the harness (scripts/run-tests.mjs) started for this run. */
export type ServerMajor = 16 | 15 | 18

export function serverUrl(major: ServerMajor = 16): string {
  const url = process.env[`STRATA_TEST_PG${major}_URL`]
  if (!url) {
    throw new Error(
      `STRATA_TEST_PG${major}_URL is not set: run the tests with \`npm test\`, which starts the servers`,
    )
  }
  return url
}

export function serverSpec(major: ServerMajor = 16): ConnectionSpec {
  return parseConnectionString(serverUrl(major), { env: {} })
}
