import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type CliResult, runCli } from './cli.js'
import type { TestDatabase } from './database.js'

export interface SqlMigrationSpec {
  readonly down?: string | string[] | null
  readonly up: string
  readonly downSql?: string | undefined
  readonly message?: string
  readonly header?: Record<string, string>
}

/** A project directory with a config and migrations, wired to one test database. */
export interface TestProject {
  readonly dir: string
  readonly versions: string
  sql(revision: string, spec: SqlMigrationSpec): string
  ts(revision: string, source: string): string
  cli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>
}

export function testProject(
  t: TestContext,
  database?: TestDatabase,
  config: Record<string, unknown> = {},
): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'strata-proj-'))
  chmodSync(dir, 0o755)
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const versions = join(dir, 'migrations', 'versions')
  mkdirSync(versions, { recursive: true })
  writeFileSync(join(dir, 'strata.config.json'), JSON.stringify(config))
  return {
    dir,
    versions,
    sql(revision, spec) {
      const down = spec.down === undefined || spec.down === null ? 'none' : [spec.down].flat().join(', ')
      const header = Object.entries(spec.header ?? {}).map(([key, value]) => `-- ${key}: ${value}`)
      const text = [
        `-- revision: ${revision}`,
        `-- down_revision: ${down}`,
        `-- message: ${spec.message ?? `migration ${revision}`}`,
        ...header,
        '-- migrate:up',
        spec.up,
        ...(spec.downSql === undefined ? [] : ['-- migrate:down', spec.downSql]),
        '',
      ].join('\n')
      const file = join(versions, `${revision}_m.sql`)
      writeFileSync(file, text)
      return file
    },
    ts(revision, source) {
      const file = join(versions, `${revision}_m.ts`)
      writeFileSync(file, source)
      return file
    },
    cli(args, env = {}) {
      return runCli(args, { cwd: dir, env: { ...(database ? { DATABASE_URL: database.url } : {}), ...env } })
    },
  }
}
