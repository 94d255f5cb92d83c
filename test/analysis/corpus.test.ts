import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { checkMigrations } from '../../src/analysis/check.js'
import { resolveConfig } from '../../src/config/load-config.js'

/**
 * A corpus of realistic migrations — the operations guide's examples among them —
 * each with the class, downtime, risk and findings a reviewer would give it
 * (test/fixtures/check-corpus/expected.json).
 */
const corpus = join(import.meta.dirname, '..', 'fixtures', 'check-corpus')
const expected = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')) as Record<
  string,
  { class: string; downtime: string; risk: string; findings: string[] }
>

test('the corpus has at least 60 migrations, each with its expectation', () => {
  const files = readdirSync(corpus).filter((file) => file.endsWith('.sql'))
  assert.ok(files.length >= 60, `only ${files.length} corpus files`)
  assert.deepEqual(Object.keys(expected).sort(), files.sort())
})

test('every corpus migration gets its expected class and findings', async () => {
  const config = resolveConfig({}, undefined, corpus)
  const mismatches: string[] = []
  for (const [file, want] of Object.entries(expected)) {
    const report = await checkMigrations({
      config,
      files: [{ path: file, text: readFileSync(join(corpus, file), 'utf8') }],
    })
    const migration = report.migrations[0]!
    const got = {
      class: migration.classification.class,
      downtime: migration.classification.downtime,
      risk: migration.classification.risk,
      findings: [...new Set(migration.findings.map((finding) => finding.rule))].sort(),
    }
    if (JSON.stringify(got) !== JSON.stringify(want))
      mismatches.push(`${file}: want ${JSON.stringify(want)}\n   got ${JSON.stringify(got)}`)
    assert.ok(migration.classification.reason.startsWith(`${got.class}: `), 'the reason names the class')
  }
  assert.deepEqual(mismatches, [])
})
