import { randomBytes } from 'node:crypto'
import { connect } from '../../db/connect.js'
import { type ConnectionSpec, parseConnectionString, withDatabase } from '../../db/connection-spec.js'
import { quoteIdent } from '../../db/quote.js'

/** Why no scratch database could be made; the drift check reports it and goes on. */
export class ScratchUnavailable extends Error {}

/**
 * Runs `work` against a new, empty database and always drops it afterwards. It is made
 * on the checked server (same version, same extensions available), or on `scratchUrl`
 * when the checked role may not create databases.
 */
export async function withScratchDatabase<T>(
  spec: ConnectionSpec,
  scratchUrl: string | undefined,
  work: (scratch: ConnectionSpec) => Promise<T>,
): Promise<T> {
  const server = scratchUrl === undefined ? spec : parseConnectionString(scratchUrl)
  const name = `strata_verify_${randomBytes(6).toString('hex')}`
  const admin = await connect(server)
  try {
    try {
      await admin.client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === '42501')
        throw new ScratchUnavailable(
          `${server.user} may not create databases, so the migrations could not be replayed for comparison (ALTER ROLE ${quoteIdent(server.user)} CREATEDB, or set health.scratchUrl to a server where Strata may create one)`,
        )
      throw new ScratchUnavailable(`could not create a scratch database: ${(error as Error).message}`)
    }
    try {
      return await work(withDatabase(server, name))
    } finally {
      const force = admin.serverVersionNum >= 130000 ? ' WITH (FORCE)' : ''
      await admin.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`).catch(() => undefined)
    }
  } finally {
    await admin.close()
  }
}
