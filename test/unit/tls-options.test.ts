import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConnectionString } from '../../src/db/connection-spec.js'
import { tlsAttempts } from '../../src/db/tls-options.js'

const attemptsFor = (url: string) => tlsAttempts(parseConnectionString(url, { env: {} }))

test('disable never encrypts; require encrypts without verifying; verify-full verifies', () => {
  assert.deepEqual(attemptsFor('postgresql://u@db/x?sslmode=disable'), [false])
  const [required] = attemptsFor('postgresql://u@db/x?sslmode=require')
  assert.equal(typeof required === 'object' && required.rejectUnauthorized, false)
  const [full] = attemptsFor('postgresql://u@db/x?sslmode=verify-full')
  assert.equal(typeof full === 'object' && full.rejectUnauthorized, true)
})

test('prefer (the default) tries TLS first on remote hosts and plain first on loopback', () => {
  const remote = attemptsFor('postgresql://u@db.example/x')
  assert.equal(remote.length, 2)
  assert.notEqual(remote[0], false)
  assert.equal(remote[1], false)
  const local = attemptsFor('postgresql://u@127.0.0.1/x')
  assert.equal(local[0], false)
  assert.notEqual(local[1], false)
})

test('verify-ca without a root certificate is refused with the fix', () => {
  assert.throws(
    () => attemptsFor('postgresql://u@db/x?sslmode=verify-ca'),
    /needs the server's CA certificate/,
  )
})
