import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DatabaseFailure } from '../../src/runner/describe-failure.js'
import { partitionedTableHint } from '../../src/runner/partitioned-table-hint.js'

const failure = (code: string, message: string) => ({ code, message }) as DatabaseFailure

test("PostgreSQL's refusals on a partitioned table get the partition-by-partition way round", () => {
  assert.match(
    partitionedTableHint(failure('0A000', 'cannot create index on partitioned table "events" concurrently'))!,
    /ON ONLY .* CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX \.\.\. ATTACH PARTITION .* op\.createIndex/,
  )
  assert.match(
    partitionedTableHint(
      failure(
        '0A000',
        'cannot add NOT VALID foreign key on partitioned table "events" referencing relation "users"',
      ),
    )!,
    /NOT VALID to each partition and VALIDATE it there .* op\.addForeignKeySafely/,
  )
  assert.equal(
    partitionedTableHint(failure('0A000', 'cannot use ONLY for foreign key on partitioned table')),
    undefined,
  )
  assert.equal(partitionedTableHint(failure('42P01', 'relation "events" does not exist')), undefined)
})
