import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'

/** The rules a migration's findings name. */
async function rulesOf(sql: string): Promise<string[]> {
  return (await analyseSql(sql, { runner: true, transactional: false, downgrade: 'SELECT 1;' })).findings.map(
    (finding) => finding.rule,
  )
}

const PARTITION = 'ALTER TABLE events ATTACH PARTITION events_a FOR VALUES FROM (0) TO (10);'

test("a partitioned table's constraint added after each partition's own is their adoption, named or not: nothing to flag", async () => {
  for (const add of [
    'ALTER TABLE events ADD CONSTRAINT uq_events UNIQUE (id, at);',
    // Unnamed: the rule derives a name, the lock model writes none; the adoption is the same.
    'ALTER TABLE events ADD UNIQUE (id, at);',
  ]) {
    const rules = await rulesOf(`${PARTITION}
      CREATE UNIQUE INDEX CONCURRENTLY ix_a ON events_a (id, at);
      ALTER TABLE events_a ADD CONSTRAINT uq_a UNIQUE USING INDEX ix_a;
      ${add}`)
    assert.ok(!rules.includes('unique-without-using-index'), `${add}: ${rules.join(', ')}`)
  }
  const foreign = await rulesOf(`${PARTITION}
    ALTER TABLE events_a ADD CONSTRAINT fk_a FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    ALTER TABLE events_a VALIDATE CONSTRAINT fk_a;
    ALTER TABLE events ADD CONSTRAINT fk_events FOREIGN KEY (user_id) REFERENCES users (id);`)
  assert.ok(!foreign.includes('constraint-without-not-valid'), foreign.join(', '))
  // Without the partition's own constraint first, the ADD builds its index: flagged.
  assert.ok(
    (await rulesOf(`${PARTITION} ALTER TABLE events ADD UNIQUE (id, at);`)).includes(
      'unique-without-using-index',
    ),
  )
})
