import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requiredStandbys } from '../../src/health/synchronous-standbys.js'

test("synchronous_standby_names: how many standbys each commit waits for, in each of PostgreSQL's spellings", () => {
  assert.equal(requiredStandbys('FIRST 2 (s1, s2, s3)'), 2)
  assert.equal(requiredStandbys('any 3(s1,s2,s3)'), 3)
  assert.equal(requiredStandbys('2 (s1, s2)'), 2, "FIRST's old spelling")
  assert.equal(requiredStandbys('s1, s2'), 1, 'a plain list: the first one connected')
  assert.equal(requiredStandbys('*'), 1)
  assert.equal(requiredStandbys('"2"'), 1, 'a quoted standby name, not a count')
})
