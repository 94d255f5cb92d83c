import type { ResolvedConfig } from '../config/types.js'
import { type ConnectionSpec, maskedUrl, withDatabase } from '../db/connection-spec.js'
import { quoteIdent } from '../db/quote.js'

/**
 * One tenant of a fleet: a database of its own, or a schema inside a shared database.
 * Each carries the connection and config that the single-database path runs with, so
 * a tenant is migrated exactly as `strata upgrade` would migrate it.
 */
export interface Tenant {
  /** Unique in the fleet: the database or schema name, `server/database` across servers. */
  readonly name: string
  readonly kind: 'database' | 'schema'
  /** The tenant's schema (schema-per-tenant), else undefined. */
  readonly schema: string | undefined
  readonly spec: ConnectionSpec
  readonly config: ResolvedConfig
}

/** A tenant that owns its database: the server's spec pointed at it. */
export function databaseTenant(
  name: string,
  serverSpec: ConnectionSpec,
  database: string,
  config: ResolvedConfig,
): Tenant {
  return Object.freeze({
    name,
    kind: 'database' as const,
    schema: undefined,
    spec: withDatabase(serverSpec, database),
    config,
  })
}

/**
 * A schema-per-tenant tenant: the version and history tables live in its schema, and
 * every session's `search_path` is that schema alone, so unqualified names in the
 * migrations land in (and only resolve to) the tenant's own objects. Shared objects
 * elsewhere must be schema-qualified (`public.gen_id()`); falling back to `public`
 * could silently alter a shared table of the same name.
 */
export function schemaTenant(schema: string, databaseSpec: ConnectionSpec, config: ResolvedConfig): Tenant {
  const searchPath = `-c search_path=${quoteIdent(schema).replace(/([\\ ])/g, '\\$1')}`
  return Object.freeze({
    name: schema,
    kind: 'schema' as const,
    schema,
    spec: Object.freeze({
      ...databaseSpec,
      options: databaseSpec.options === undefined ? searchPath : `${databaseSpec.options} ${searchPath}`,
    }),
    config: Object.freeze({
      ...config,
      migrations: Object.freeze({
        ...config.migrations,
        versionTableSchema: schema,
        versionTableSchemaConfigured: true,
      }),
      health: Object.freeze({ ...config.health, schemas: Object.freeze([schema]) }),
    }),
  })
}

/** Where a tenant lives, without secrets: `postgresql://app@db:5432/tenant_7` or `…/app schema tenant_7`. */
export function tenantLocation(tenant: Tenant): string {
  const url = maskedUrl(tenant.spec)
  return tenant.schema === undefined ? url : `${url} schema ${tenant.schema}`
}
