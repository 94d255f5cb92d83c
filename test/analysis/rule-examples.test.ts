import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'
import { RULES, type RuleExample } from '../../src/analysis/rules/index.js'

/**
 * Every rule carries the SQL it must flag and the SQL it must accept, next to its
 * code; this runs them all through the real parser and lock model.
 */
function options(example: RuleExample) {
  return typeof example === 'string' ? { sql: example } : example
}

describe('rule examples', () => {
  for (const rule of RULES) {
    test(`${rule.id}: flags its positive examples and accepts its negative ones`, async () => {
      assert.ok(rule.examples.accepted.length > 0, `${rule.id} needs an accepted example`)
      if (rule.id !== 'revision-id-too-long')
        assert.ok(rule.examples.flagged.length > 0, `${rule.id} needs a flagged example`)
      for (const example of rule.examples.flagged) {
        const { sql, ...rest } = options(example)
        const report = await analyseSql(sql, rest)
        const ids = report.findings.map((finding) => finding.rule)
        assert.ok(
          ids.includes(rule.id),
          `${rule.id} should flag:\n  ${sql}\n  got: ${ids.join(', ') || 'nothing'}`,
        )
        const finding = report.findings.find((f) => f.rule === rule.id)!
        assert.ok(finding.message.length > 20, 'a finding explains itself')
        assert.ok(finding.fix.length > 10, 'a finding comes with the safe alternative')
      }
      for (const example of rule.examples.accepted) {
        const { sql, ...rest } = options(example)
        const report = await analyseSql(sql, rest)
        const hit = report.findings.find((finding) => finding.rule === rule.id)
        assert.equal(hit, undefined, `${rule.id} should accept:\n  ${sql}\n  but said: ${hit?.message}`)
      }
    })
  }
})
