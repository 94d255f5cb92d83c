import { locateInFile } from '../../config/describe-load-failure.js'
import { InvalidInputError } from '../../errors/index.js'
import {
  type CodeMigrationFile,
  type CodeStep,
  migrationExports,
  projectLibrary,
  ReadsDatabase,
  renderEach,
} from './code-migrations.js'
import type { ForeignMigration, Unconvertible } from './foreign-migration.js'

// Knex migrations build their SQL with Knex's schema and query builders
// (`knex.schema.createTable('users', (t) => { t.increments() })`). Knex itself says what
// SQL that is: a Knex instance for PostgreSQL, given no connection, compiles every
// builder the migration awaits, and its client's query is replaced here by one that
// records the statement (its values inlined as Knex's toString() does) instead of
// sending it.

/** The part of a Knex instance the rendering uses. */
interface KnexInstance {
  readonly client: {
    acquireConnection(): Promise<unknown>
    releaseConnection(connection: unknown): Promise<void>
    query(connection: unknown, query: unknown): Promise<unknown>
    prepBindings(bindings: unknown): unknown
    _escapeBinding(value: unknown, context: object): string
  }
  destroy(): Promise<void>
}
type KnexFactory = (config: object) => KnexInstance
type Action = (knex: KnexInstance) => unknown

/**
 * Renders Knex migrations, in order, to SQL: `up`, and `down` where the module exports
 * one (Knex keeps no other way back). `export const config = { transaction: false }`
 * makes it run outside a transaction, as in Knex. A migration that reads rows (a
 * SELECT, `knex.schema.hasTable`) cannot be rendered: its SQL depends on them.
 */
export async function renderKnexMigrations(
  directory: string,
  files: readonly CodeMigrationFile[],
): Promise<{ migrations: ForeignMigration[]; unconvertible: Unconvertible[] }> {
  const library = await projectLibrary(directory, 'knex', 'Knex migrations', 'npm install knex')
  const factory = (typeof library.knex === 'function' ? library.knex : library.default) as KnexFactory
  if (typeof factory !== 'function')
    throw new InvalidInputError(`the knex installed for ${directory} exports no knex() function`, {
      hint: 'npm install knex@latest in the project, then run it again',
    })
  return renderEach(directory, files, 'knex', async (module, entry, path) => {
    const actions = migrationExports(module) as {
      up?: Action
      down?: Action
      config?: { transaction?: boolean }
    }
    if (typeof actions.up !== 'function') throw new Error('it exports no up function')
    const up = await render(factory, actions.up, path)
    const down = typeof actions.down === 'function' ? (await render(factory, actions.down)).sql : undefined
    return {
      version: entry.version,
      title: entry.title,
      // knex_migrations.name holds the file name, extension included.
      appliedKey: entry.file,
      up: up.sql,
      steps: up.steps,
      down,
      transactional: actions.config?.transaction !== false,
      source: entry.file,
    }
  })
}

/** Runs one side against a Knex instance whose queries are recorded, not sent. */
async function render(
  factory: KnexFactory,
  action: Action,
  /** The migration's file: each statement is given the line of the call that awaited it. */
  file?: string,
): Promise<{ sql: string; steps: CodeStep[] }> {
  const knex = factory({ client: 'pg' })
  const steps: CodeStep[] = []
  const { client } = knex
  client.acquireConnection = async () => ({})
  client.releaseConnection = async () => {}
  client.query = async (_connection, query) => {
    const { sql, bindings, method } = (typeof query === 'string' ? { sql: query } : query) as {
      sql: string
      bindings?: unknown
      method?: string
    }
    if (method === 'select' || method === 'first' || method === 'pluck' || /^\s*select\b/i.test(sql))
      throw new ReadsDatabase(`a query: ${sql.slice(0, 60)}`)
    steps.push({
      sql: `${inlineBindings(client, sql, bindings).trim().replace(/;?$/, ';')}`,
      line: file === undefined ? undefined : locateInFile(new Error('knex query'), file),
    })
    return { sql, method, response: { rows: [], rowCount: 0, command: '' } }
  }
  try {
    await action(knex)
  } finally {
    await knex.destroy()
  }
  return { sql: steps.map((step) => step.sql).join('\n'), steps }
}

/** Knex's `?` placeholders with its own literal for each value, as its toString() writes them. */
function inlineBindings(client: KnexInstance['client'], sql: string, bindings: unknown): string {
  const values = bindings == null ? [] : ([] as unknown[]).concat(client.prepBindings(bindings))
  let index = 0
  return sql.replace(/\\?\?/g, (match) => {
    if (match === '\\?') return '?'
    if (index === values.length) return match
    return client._escapeBinding(values[index++], {})
  })
}
