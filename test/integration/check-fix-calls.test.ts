import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyseSql } from '../../src/analysis/analyse-sql.js'
import { RULES } from '../../src/analysis/rules/index.js'
import { testProject } from '../helpers/project.js'

/** Every complete `TS: await op....` line the rules offer as a fix for their flagged examples. */
async function offeredCalls(): Promise<{ rule: string; call: string }[]> {
  const calls: { rule: string; call: string }[] = []
  for (const rule of RULES) {
    for (const example of rule.examples.flagged) {
      const report =
        typeof example === 'string'
          ? await analyseSql(example)
          : await analyseSql(example.sql, {
              ...(example.runner === undefined ? {} : { runner: example.runner }),
              ...(example.transactional === undefined ? {} : { transactional: example.transactional }),
              ...(example.serverVersion === undefined ? {} : { serverVersion: example.serverVersion }),
            })
      for (const finding of report.findings.filter((f) => f.rule === rule.id)) {
        for (const line of finding.fix.split('\n')) {
          const call = /^TS: (await op\.[^\n]*\))$/.exec(line.trim())?.[1]
          // Placeholders (<value>, ...) are for the user to fill in.
          if (call !== undefined && !/[<]|\.\.\./.test(call) && !calls.some((c) => c.call === call))
            calls.push({ rule: rule.id, call })
        }
      }
    }
  }
  return calls
}

test('the op calls check offers as fixes pass check themselves: no finding of any rule', async (t) => {
  const calls = await offeredCalls()
  assert.ok(calls.length >= 8, `the rules offer op calls: ${calls.map((c) => c.call).join('; ')}`)
  const project = testProject(t)
  calls.forEach(({ call }, index) => {
    const revision = `fix${index + 1}`
    const down = index === 0 ? 'null' : `'fix${index}'`
    // CONCURRENTLY and op.autocommit run outside a transaction.
    const transactional = /concurrently: true|autocommit/.test(call)
      ? 'export const transactional = false\n'
      : ''
    project.ts(
      revision,
      `export const revision = '${revision}'\nexport const downRevision = ${down}\n${transactional}export async function upgrade(op) {\n  ${call}\n}\nexport async function downgrade(op) {\n  await op.execute('SELECT 1')\n}\n`,
    )
  })
  const result = await project.cli(['check', '--offline', '--format', 'json'])
  const report = JSON.parse(result.stdout)
  assert.equal(report.migrations.length, calls.length)
  for (const migration of report.migrations) {
    const call = calls[Number(migration.revision.slice('fix'.length)) - 1]!
    assert.deepEqual(
      migration.findings.map(
        (f: { level: string; rule: string; message: string }) => `${f.rule}: ${f.message}`,
      ),
      [],
      `${call.call} (offered by ${call.rule})`,
    )
    assert.notEqual(migration.classification.class, 'breaking', call.call)
  }
  assert.equal(result.code, 0)
})
