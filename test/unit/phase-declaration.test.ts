import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MigrationSource } from '../../src/analysis/analysed-statement.js'
import { phaseDeclaration } from '../../src/analysis/rules/rule.js'

const source = (file: string | undefined, revision: string | undefined) =>
  ({ file, revision }) as unknown as MigrationSource

test('a fix names the phase the way the file declares it', () => {
  assert.equal(phaseDeclaration(source('/m/versions/a1_drop.sql', 'a1'), 'contract'), '-- phase: contract')
  assert.equal(
    phaseDeclaration(source('/m/versions/a1_drop.ts', 'a1'), 'contract'),
    "export const phase = 'contract'",
  )
  // A plain SQL file is not a migration yet: both ways.
  assert.equal(
    phaseDeclaration(source('/tmp/change.sql', undefined), 'contract'),
    "export const phase = 'contract' (SQL: -- phase: contract)",
  )
})
