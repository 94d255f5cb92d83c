import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConnectionSpec } from '../db/connection-spec.js'

/**
 * Connection arguments for a libpq program: never the password. `database` null leaves
 * out `-d` (pg_basebackup reads `-d` as a whole connection string).
 */
export function connectionArguments(spec: ConnectionSpec, database: string | null = spec.database): string[] {
  // A host list not yet settled on one host goes to libpq as a list; it settles on its own
  // (with PGTARGETSESSIONATTRS, set by withClientEnvironment).
  const hosts = spec.hosts ?? [{ host: spec.host, port: spec.port }]
  return [
    '-h',
    hosts.map((address) => address.host).join(','),
    '-p',
    hosts.map((address) => address.port).join(','),
    '-U',
    spec.user,
    ...(database === null ? [] : ['-d', database]),
  ]
}

/**
 * Runs `work` with an environment for libpq client programs. The password goes into a
 * temporary 0600 passfile (in a 0700 directory, removed afterwards), never onto a
 * command line or into the inherited environment; TLS settings go as `PGSSL*`.
 */
export async function withClientEnvironment<T>(
  spec: ConnectionSpec,
  work: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C', PGAPPNAME: spec.applicationName }
  delete env.PGPASSWORD
  // The spec already holds what a libpq service named; the program must not read the
  // service file again, where its values would win over the PG* settings below.
  delete env.PGSERVICE
  const set = (key: string, value: string | number | undefined) => {
    if (value !== undefined) env[key] = String(value)
  }
  set('PGSSLMODE', spec.sslmode)
  set('PGSSLROOTCERT', spec.sslrootcert)
  set('PGSSLCERT', spec.sslcert)
  set('PGSSLKEY', spec.sslkey)
  set('PGCONNECT_TIMEOUT', Math.max(1, Math.round(spec.connectTimeout)))
  set('PGTARGETSESSIONATTRS', spec.targetSessionAttrs)
  set('PGOPTIONS', spec.options)
  if (spec.password === undefined) return work(env)
  const dir = mkdtempSync(join(tmpdir(), 'strata-pass-'))
  try {
    const escapePassfile = (text: string) => text.replace(/\\/g, '\\\\').replace(/:/g, '\\:')
    const file = join(dir, 'pgpass')
    writeFileSync(file, `*:*:*:*:${escapePassfile(spec.password)}\n`, { mode: 0o600 })
    env.PGPASSFILE = file
    return await work(env)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
