import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { findClientProgram } from '../../src/backup/client-programs.js'

/**
 * Runs an offline script (`strata upgrade --sql`) with psql, as an operator would, and
 * fails the test with psql's error when a statement fails.
 */
export function runWithPsql(url: string, script: string): void {
  const psql = findClientProgram('psql')
  assert.ok(psql, 'psql is needed for this test (apt-get install postgresql-client)')
  const applied = spawnSync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], {
    input: script,
    encoding: 'utf8',
  })
  assert.equal(applied.status, 0, applied.stderr)
}
