import { SAVED_SCHEMA } from '../backup/saved-data.js'
import type { ResolvedConfig } from '../config/types.js'
import { withConnection } from '../db/connect.js'
import { type ConnectionSpec, isPostgresUrl, parseConnectionString } from '../db/connection-spec.js'
import { namedDatabaseSpec } from '../db/resolve-target.js'
import { InvalidInputError, UsageError } from '../errors/index.js'
import { plural } from '../util/plural.js'
import { databaseTenant, schemaTenant, type Tenant } from './tenant.js'
import { readTenantList, type TenantListEntry } from './tenant-list-file.js'

/** Which tenants a fleet command works on; command-line flags over the `tenants` config. */
export interface TenantSelection {
  /** `LIKE` pattern on database names, searched on `servers`. */
  readonly match?: string | undefined
  /** `LIKE` pattern on schema names in the selected database. */
  readonly schemas?: string | undefined
  /** A tenant list file. */
  readonly list?: string | undefined
  /** Config database names or URLs; default: the selected database's server. */
  readonly servers?: readonly string[] | undefined
}

export interface DiscoveryOptions {
  readonly config: ResolvedConfig
  readonly selection: TenantSelection
  /** The selected database (`--url`, `-n`, ...), opened only when needed. */
  readonly selectedSpec: () => Promise<ConnectionSpec>
  readonly env?: NodeJS.ProcessEnv
}

export interface Discovery {
  readonly tenants: readonly Tenant[]
  /** How they were found, as the report records it: `--match tenant_%`. */
  readonly source: string
  /** Matching databases left out because Strata made them (restore and deploy copies). */
  readonly leftOut: readonly string[]
  /**
   * The server's own database (`postgres`) or the shared schema (`public`), matched by a
   * wildcard: left out, since they are no tenant's; named exactly, they are included.
   */
  readonly sharedLeftOut: readonly string[]
}

/** Not a tenant when a wildcard matches it: the maintenance database, the shared schema. */
const SHARED = { database: 'postgres', schema: 'public' } as const

/** Whether a LIKE pattern has a wildcard (`%` or `_` not escaped by a backslash). */
function hasWildcard(pattern: string): boolean {
  return /(^|[^\\])(\\\\)*[%_]/.test(pattern)
}

/**
 * Databases Strata creates next to the original: restore copies, the database a restore
 * replaced, deploy backups and rehearsals. They match `tenant_%` too, and migrating them
 * would change a backup.
 */
const STRATA_COPY = /_(predeploy|pre_restore|restore)_\d{8}_\d{6}(_\d+)?$|_rehearsal_[0-9a-f]{8}$/

/**
 * Finds the tenants: databases whose name matches a pattern on one or several
 * servers, schemas matching a pattern in one database, or the lines of a list file.
 * Sorted by name, so runs and reports are in a stable order.
 */
export async function discoverTenants(options: DiscoveryOptions): Promise<Discovery> {
  const { config } = options
  const chosen = chooseSource(options.selection, config)
  if (chosen.kind === 'schemas') {
    const spec = await options.selectedSpec()
    const names = await withConnection(spec, async ({ client }) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT nspname AS name FROM pg_namespace
          WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
            AND nspname <> $2
          ORDER BY nspname`,
        // strata_saved holds the copies a downgrade kept: never a tenant.
        [chosen.pattern, SAVED_SCHEMA],
      )
      return rows.map((row) => row.name)
    })
    const shared: string[] = hasWildcard(chosen.pattern) ? names.filter((name) => name === SHARED.schema) : []
    return {
      tenants: names
        .filter((schema) => !shared.includes(schema))
        .map((schema) => schemaTenant(schema, spec, config)),
      source: `--schemas ${chosen.pattern}`,
      leftOut: [],
      sharedLeftOut: shared,
    }
  }
  const servers = await serverSpecs(options, chosen.servers)
  if (chosen.kind === 'match') {
    const tenants: Tenant[] = []
    const leftOut: string[] = []
    const sharedLeftOut: string[] = []
    const wildcard = hasWildcard(chosen.pattern)
    for (const server of servers) {
      const names = await withConnection(server.spec, async ({ client }) => {
        const { rows } = await client.query<{ name: string }>(
          `SELECT datname AS name FROM pg_database
            WHERE datname LIKE $1 AND datallowconn AND NOT datistemplate ORDER BY datname`,
          [chosen.pattern],
        )
        return rows.map((row) => row.name)
      })
      for (const database of names) {
        if (STRATA_COPY.test(database)) {
          leftOut.push(database)
          continue
        }
        const name = servers.length > 1 ? `${server.label}/${database}` : database
        if (wildcard && database === SHARED.database) {
          sharedLeftOut.push(name)
          continue
        }
        tenants.push(databaseTenant(name, server.spec, database, config))
      }
    }
    return { tenants: sortByName(tenants), source: `--match ${chosen.pattern}`, leftOut, sharedLeftOut }
  }
  const entries = readTenantList(chosen.file)
  await requireListedTenantsExist(entries, chosen.file, servers[0]!.spec, options.selectedSpec)
  const tenants: Tenant[] = []
  for (const entry of entries) {
    if (entry.kind === 'schema')
      tenants.push(schemaTenant(entry.schema, await options.selectedSpec(), config))
    else if (entry.kind === 'database')
      tenants.push(databaseTenant(entry.database, servers[0]!.spec, entry.database, config))
    else {
      const spec = parseConnectionString(entry.url, specDefaults(options))
      tenants.push(databaseTenant(`${spec.host}:${spec.port}/${spec.database}`, spec, spec.database, config))
    }
  }
  return {
    tenants: uniqueNames(tenants, chosen.file),
    source: `--list ${chosen.file}`,
    leftOut: [],
    sharedLeftOut: [],
  }
}

/**
 * A listed database or schema that does not exist is a mistake in the list, found
 * before any tenant runs rather than as a failure halfway through the fleet.
 */
async function requireListedTenantsExist(
  entries: readonly TenantListEntry[],
  file: string,
  server: ConnectionSpec,
  selectedSpec: () => Promise<ConnectionSpec>,
): Promise<void> {
  const databases = entries.flatMap((entry) => (entry.kind === 'database' ? [entry] : []))
  const schemas = entries.flatMap((entry) => (entry.kind === 'schema' ? [entry] : []))
  const missing: string[] = []
  if (databases.length > 0) {
    const present = await existingNames(
      server,
      'SELECT datname AS name FROM pg_database WHERE datname = ANY ($1::text[])',
      databases.map((entry) => entry.database),
    )
    for (const entry of databases)
      if (!present.has(entry.database))
        missing.push(`line ${entry.line}: database ${entry.database} (on ${server.host}:${server.port})`)
  }
  if (schemas.length > 0) {
    const spec = await selectedSpec()
    const present = await existingNames(
      spec,
      'SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY ($1::text[])',
      schemas.map((entry) => entry.schema),
    )
    for (const entry of schemas)
      if (!present.has(entry.schema))
        missing.push(`line ${entry.line}: schema ${entry.schema} (in ${spec.database})`)
  }
  if (missing.length > 0)
    throw new InvalidInputError(
      `${file} lists ${plural(missing.length, 'tenant')} that ${missing.length === 1 ? 'does' : 'do'} not exist: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; …' : ''}`,
      { where: file, hint: 'correct or remove those lines; nothing was run' },
    )
}

/** Which of `names` the catalog query (`name` column, names as $1) finds. */
async function existingNames(
  spec: ConnectionSpec,
  query: string,
  names: readonly string[],
): Promise<Set<string>> {
  return withConnection(spec, async ({ client }) => {
    const { rows } = await client.query<{ name: string }>(query, [names])
    return new Set(rows.map((row) => row.name))
  })
}

type Source =
  | { kind: 'match'; pattern: string; servers: readonly string[] }
  | { kind: 'schemas'; pattern: string }
  | { kind: 'list'; file: string; servers: readonly string[] }

function chooseSource(selection: TenantSelection, config: ResolvedConfig): Source {
  const given = (['match', 'schemas', 'list'] as const).filter((key) => selection[key] !== undefined)
  if (given.length > 1)
    throw new UsageError(
      `give one of --match, --schemas and --list, not ${given.map((key) => `--${key}`).join(' and ')}`,
      {
        hint: "--match 'tenant_%' for tenant databases, --schemas 'tenant_%' for tenant schemas, --list FILE for a list",
      },
    )
  const servers = selection.servers ?? config.tenants.servers
  const fromFlags = given[0]
  if (fromFlags === 'match') return { kind: 'match', pattern: selection.match!, servers }
  if (fromFlags === 'schemas') return { kind: 'schemas', pattern: selection.schemas! }
  if (fromFlags === 'list') return { kind: 'list', file: selection.list!, servers }
  if (config.tenants.match !== undefined) return { kind: 'match', pattern: config.tenants.match, servers }
  if (config.tenants.schemas !== undefined) return { kind: 'schemas', pattern: config.tenants.schemas }
  if (config.tenants.list !== undefined) return { kind: 'list', file: config.tenants.list, servers }
  throw new UsageError(
    'which tenants? none of --match, --schemas or --list was given, and the config has no tenants section',
    {
      hint: "strata tenants upgrade --match 'tenant_%' (tenant databases), --schemas 'tenant_%' (tenant schemas), or --list tenants.txt; or set tenants.match in the config",
    },
  )
}

interface Server {
  readonly label: string
  readonly spec: ConnectionSpec
}

async function serverSpecs(options: DiscoveryOptions, servers: readonly string[]): Promise<Server[]> {
  if (servers.length === 0) {
    const spec = await options.selectedSpec()
    return [{ label: `${spec.host}:${spec.port}`, spec }]
  }
  return servers.map((server) =>
    isPostgresUrl(server)
      ? (() => {
          const spec = parseConnectionString(server, specDefaults(options))
          return { label: `${spec.host}:${spec.port}`, spec }
        })()
      : { label: server, spec: namedDatabaseSpec(server, options.config, options.env ?? process.env) },
  )
}

function specDefaults(options: DiscoveryOptions) {
  return {
    env: options.env ?? process.env,
    connectTimeout: options.config.connection.connectTimeout,
    applicationName: options.config.connection.applicationName,
  }
}

function sortByName(tenants: Tenant[]): Tenant[] {
  return tenants.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** A list naming the same tenant twice would migrate it twice at once: refused. */
function uniqueNames(tenants: Tenant[], file: string): Tenant[] {
  const seen = new Set<string>()
  for (const tenant of tenants) {
    if (seen.has(tenant.name))
      throw new UsageError(`${file} names the tenant ${tenant.name} twice`, {
        where: file,
        hint: 'list each tenant once',
      })
    seen.add(tenant.name)
  }
  return tenants
}
