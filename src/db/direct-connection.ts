import { InvalidInputError } from '../errors/index.js'
import type { ConnectionSpec } from './connection-spec.js'

/**
 * Refuses a URL that says it goes through PgBouncer (`pgbouncer=true`, Prisma's flag,
 * set on the pooled DATABASE_URL of many Prisma projects) before anything connects: in
 * transaction mode each transaction may get another server session, so the session's
 * migration lock, each migration's lock_timeout and a non-transactional step's
 * statements would each land anywhere. (A pool that does not say so is caught after
 * connecting, when two statements reach two sessions: see `requireOneSession`.)
 */
export function requireDirectConnection(spec: ConnectionSpec, what: string): void {
  if (!spec.throughPgbouncer) return
  const direct = process.env.DIRECT_URL
  throw new InvalidInputError(
    `the database URL goes through PgBouncer (pgbouncer=true): ${what} needs one server session throughout, which a pool in transaction mode does not keep. Nothing was changed`,
    {
      hint:
        direct !== undefined && direct !== ''
          ? "DIRECT_URL is set (Prisma's directUrl, which bypasses the pool): DATABASE_URL=\"$DIRECT_URL\" strata ..., or databases: { main: '${DIRECT_URL}' } in strata.config.ts"
          : "connect to PostgreSQL itself (the server's host and port, or a session-mode pool) for this command, e.g. with the URL Prisma's directUrl names",
    },
  )
}
