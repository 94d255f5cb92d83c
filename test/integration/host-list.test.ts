import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import pg from 'pg'
import { toClientConfig } from '../../src/db/connect.js'
import { findFreePort } from '../../src/embedded/port.js'
import { runCli } from '../helpers/cli.js'
import { type ServerMajor, serverSpec } from '../helpers/servers.js'
import { tempDir } from '../helpers/temp-dir.js'

async function asAdmin(major: ServerMajor, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client(toClientConfig(serverSpec(major), false))
  await client.connect()
  try {
    return await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * Two "nodes" of a cluster, as a connection string lists them: the harness's PostgreSQL
 * 16 and 15, each with the same role and database. The PostgreSQL 16 one takes no
 * writes (default_transaction_read_only, as a standby would refuse them).
 */
test('a connection string of several hosts settles on the first that suits target_session_attrs, and says which', async (t) => {
  const suffix = randomBytes(5).toString('hex')
  const role = `r_${suffix}`
  const database = `t_${suffix}`
  const password = randomBytes(9).toString('hex')
  for (const major of [16, 15] as const) {
    await asAdmin(major, `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`)
    await asAdmin(major, `CREATE DATABASE ${database} OWNER ${role} TEMPLATE template0`)
  }
  t.after(async () => {
    for (const major of [16, 15] as const) {
      await asAdmin(major, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      await asAdmin(major, `DROP ROLE IF EXISTS ${role}`)
    }
  })
  await asAdmin(16, `ALTER DATABASE ${database} SET default_transaction_read_only = on`)
  const read16 = `127.0.0.1:${serverSpec(16).port}`
  const write15 = `127.0.0.1:${serverSpec(15).port}`
  const url = (hosts: string, attrs?: string) =>
    `postgresql://${role}:${password}@${hosts}/${database}${attrs ? `?target_session_attrs=${attrs}` : ''}`

  const dir = tempDir(t)
  const cli = (args: string[], databaseUrl: string) =>
    runCli(args, { cwd: dir, env: { DATABASE_URL: databaseUrl } })
  assert.equal((await cli(['init'], url(read16))).code, 0)
  const created = await cli(['revision', '-m', 'create things'], url(read16))
  assert.equal(created.code, 0, created.stderr)

  // target_session_attrs=any (libpq's default): the first that answers.
  const any = await cli(['current'], url(`${read16},${write15}`))
  assert.equal(any.code, 0, any.stderr)
  assert.match(any.stderr, new RegExp(`Using ${read16}, the first of 2 hosts that answered`))

  // read-write: the read-only node is passed over; the migration lands on the other.
  const upgraded = await cli(['upgrade', 'head'], url(`${read16},${write15}`, 'read-write'))
  assert.equal(upgraded.code, 0, upgraded.stderr)
  assert.match(upgraded.stderr, new RegExp(`Using ${write15}, the first of 2 hosts that is read-write`))
  assert.doesNotMatch(upgraded.stderr + upgraded.stdout, new RegExp(password), 'no password in any output')
  const versions = async (major: ServerMajor) => {
    const client = new pg.Client({ ...toClientConfig({ ...serverSpec(major), database }, false) })
    await client.connect()
    try {
      return (await client.query("SELECT to_regclass('alembic_version') IS NOT NULL AS present")).rows[0]
        .present
    } finally {
      await client.end()
    }
  }
  assert.equal(await versions(15), true, 'migrated on the writable node')
  assert.equal(await versions(16), false, 'nothing on the read-only node')

  // A node that does not answer is skipped, as libpq skips it.
  const dead = `127.0.0.1:${await findFreePort()}`
  const skipped = await cli(['current'], url(`${dead},${write15}`))
  assert.equal(skipped.code, 0, skipped.stderr)
  assert.match(skipped.stdout, /\(head\)/)

  // None suits: every node named with why it was passed over; nothing changed.
  const none = await cli(['upgrade', 'head'], url(`${dead},${read16}`, 'read-write'))
  assert.equal(none.code, 1)
  assert.match(none.stderr, /no host of the connection string is writable:/)
  assert.match(none.stderr, new RegExp(`connection refused at ${dead}`))
  assert.match(none.stderr, new RegExp(`${read16}: is a primary whose sessions are read-only`))
  assert.match(none.stderr, /hint: target_session_attrs=read-write asks for the cluster's primary/)
  assert.doesNotMatch(none.stderr, /\n\s+at /, 'no stack trace')
})
