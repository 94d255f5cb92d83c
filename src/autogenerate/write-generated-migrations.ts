import type { ResolvedConfig } from '../config/types.js'
import { type CreatedRevision, createRevision } from '../graph/create-revision.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import { relationName } from './object-names.js'
import type { SchemaChanges } from './schema-changes.js'

export interface GeneratedFiles {
  readonly config: ResolvedConfig
  readonly migrations: MigrationSet
  readonly message: string
  readonly revId?: string | undefined
  readonly directory: string
}

/**
 * Writes the generated changes as SQL migrations: the schema changes in one, in a
 * transaction; what must run outside one (CONCURRENTLY index builds and drops,
 * validations of constraints added NOT VALID) in a second after it, which its
 * downgrade undoes first. Only the first has TODO lines for a person.
 */
export async function writeGeneratedMigrations(
  files: GeneratedFiles,
  up: SchemaChanges,
  down: SchemaChanges,
  /** Said at the top of the upgrade: a drop and an add that may be a rename. */
  renames: readonly string[] = [],
): Promise<CreatedRevision[]> {
  const note = (lines: readonly string[]) => lines.map((line) => `-- TODO by hand: ${line}`)
  const created: CreatedRevision[] = []
  const write = (
    graph: MigrationSet['graph'],
    message: string,
    revId: string | undefined,
    body: Parameters<typeof createRevision>[1]['body'],
  ) =>
    createRevision(graph, {
      message,
      revId,
      sql: true,
      body,
      directory: files.directory,
      fileTemplate: files.config.migrations.fileTemplate,
    })
  const inTransaction = up.statements.length > 0 || up.byHand.length > 0
  if (inTransaction)
    created.push(
      write(files.migrations.graph, files.message, files.revId, {
        up: [...note(up.byHand), ...renames.map((line) => `-- RENAMED? ${line}`), ...up.statements].join(
          '\n',
        ),
        down: [...note(down.byHand), ...down.statements].join('\n') || undefined,
      }),
    )
  if (up.online.length > 0) {
    // Written on the first one, so the graph must know it.
    const graph = inTransaction ? (await loadMigrations(files.config)).graph : files.migrations.graph
    const undo = [...up.builtOnline]
      .reverse()
      .map((key) => `DROP INDEX CONCURRENTLY IF EXISTS ${relationName(key)};`)
    created.push(
      write(
        graph,
        inTransaction ? `${files.message}, concurrently` : files.message,
        inTransaction ? undefined : files.revId,
        {
          transactional: false,
          up: up.online.join('\n'),
          down:
            undo.length > 0
              ? undo.join('\n')
              : // A statement, so that the migration has a downgrade the runner can step through.
                '-- Nothing to undo here: validating changes no schema; the downgrade before this one restores what was dropped.\nSELECT 1;',
        },
      ),
    )
  }
  return created
}
