import type { ResolvedConfig } from '../config/types.js'
import { sqlIdent } from '../db/quote.js'
import { type CreatedRevision, createRevision } from '../graph/create-revision.js'
import { loadMigrations, type MigrationSet } from '../graph/load-migrations.js'
import type { MigrationPhase } from '../graph/migration.js'
import type { TemplateFields } from '../graph/revision-templates.js'
import { memberOf, relationName, tableOf } from './object-names.js'
import type { SchemaChanges } from './schema-changes.js'

export interface GeneratedFiles {
  readonly config: ResolvedConfig
  readonly migrations: MigrationSet
  readonly message: string
  readonly revId?: string | undefined
  readonly directory: string
}

/** The changes of both phases, each with the one that undoes it. */
export interface GeneratedChanges {
  readonly expand: SchemaChanges
  readonly expandDown: SchemaChanges
  readonly contract: SchemaChanges
  readonly contractDown: SchemaChanges
}

/** A migration written, and the deploy phase it was written for. */
export interface GeneratedMigration extends CreatedRevision {
  /** `enum values` committed first, `changes` in a transaction, `concurrently` outside one, `keys` added from its indexes, `contract` the drops. */
  readonly part: GeneratedPart
  readonly phase: MigrationPhase | undefined
}

export type GeneratedPart = 'enum values' | 'changes' | 'concurrently' | 'keys' | 'contract'

/**
 * Writes the generated changes as SQL migrations, each revising the one before:
 * 0. enum values added that the changes use (committed before them);
 * 1. the schema changes that add or alter, in a transaction;
 * 2. what must run outside one (CONCURRENTLY index builds and drops, validations of
 *    constraints added NOT VALID), whose downgrade drops what it built;
 * 2b. primary keys and unique constraints added `USING INDEX` from those indexes, in a
 *    transaction of their own (a re-run of step 2 then never meets a key already there);
 * 3. with `-- phase: contract`, the drops of what the previous release may still read
 *    (tables, columns, views, functions, types), for `strata deploy --phase contract`.
 * When there is a contract step, the first two say `-- phase: expand`. A file is written
 * only when it has something to do; TODO lines go into the first.
 */
export async function writeGeneratedMigrations(
  files: GeneratedFiles,
  changes: GeneratedChanges,
  /** Said where the drops are: a drop and an add that may be a rename. */
  renames: readonly string[] = [],
): Promise<GeneratedMigration[]> {
  const { expand, expandDown, contract, contractDown } = changes
  const todo = (lines: readonly string[]) => lines.map((line) => `-- TODO by hand: ${line}`)
  const renamed = renames.map((line) => `-- RENAMED? ${line}`)
  const contracts = contract.statements.length > 0 || contract.byHand.length > 0
  const expandPhase: MigrationPhase | undefined = contracts ? 'expand' : undefined
  const parts: {
    part: GeneratedPart
    phase: MigrationPhase | undefined
    body: NonNullable<TemplateFields['body']>
  }[] = []
  // Enum values added go first, in a migration of their own: the statements after them use
  // them (`ChangePlan.ordered` leaves them among the statements otherwise), and a value
  // is usable once the migration that added it has committed.
  if (expand.enumValues.length > 0)
    parts.push({
      part: 'enum values',
      phase: expandPhase,
      body: {
        phase: expandPhase,
        up: expand.enumValues.join('\n'),
        down: '-- Nothing to undo here: PostgreSQL cannot remove an enum value (the values stay, unused).\nSELECT 1;',
      },
    })
  if (expand.statements.length > 0 || expand.byHand.length > 0)
    parts.push({
      part: 'changes',
      phase: expandPhase,
      body: {
        phase: expandPhase,
        up: [...todo(expand.byHand), ...(contracts ? [] : renamed), ...expand.statements].join('\n'),
        down: downgrade(todo(expandDown.byHand), expandDown.statements),
      },
    })
  if (expand.online.length > 0) {
    // Its downgrade drops what it built; with no transactional migration before it, it
    // also makes again what it dropped (an index the expand step took away).
    const undo = [
      ...[...expand.builtOnline]
        .reverse()
        .map((key) => `DROP INDEX CONCURRENTLY IF EXISTS ${relationName(key)};`),
      ...(parts.some((part) => part.part === 'changes') ? [] : expandDown.statements),
    ]
    parts.push({
      part: 'concurrently',
      phase: expandPhase,
      body: {
        phase: expandPhase,
        transactional: false,
        up: expand.online.join('\n'),
        down:
          undo.length > 0
            ? undo.join('\n')
            : // A statement, so that the migration has a downgrade the runner can step through.
              '-- Nothing to undo here: validating changes no schema; the downgrade before this one restores what was dropped.\nSELECT 1;',
      },
    })
  }
  if (expand.afterOnline.length > 0)
    parts.push({
      part: 'keys',
      phase: expandPhase,
      body: {
        phase: expandPhase,
        up: expand.afterOnline.join('\n'),
        down: [...expand.keysApart]
          .reverse()
          .map(
            (key) => `ALTER TABLE ${relationName(tableOf(key))} DROP CONSTRAINT ${sqlIdent(memberOf(key))};`,
          )
          .join('\n'),
      },
    })
  if (contracts)
    parts.push({
      part: 'contract',
      phase: 'contract',
      body: {
        phase: 'contract',
        up: [...todo(contract.byHand), ...renamed, ...contract.statements].join('\n'),
        down: downgrade(todo(contractDown.byHand), contractDown.statements),
      },
    })

  const written: GeneratedMigration[] = []
  for (const [index, part] of parts.entries()) {
    // Each after the one before: the graph must know the file just written.
    const graph = index === 0 ? files.migrations.graph : (await loadMigrations(files.config)).graph
    const created = createRevision(graph, {
      message:
        part.part === 'changes' || parts.length === 1 ? files.message : `${files.message}, ${part.part}`,
      revId: index === 0 ? files.revId : undefined,
      sql: true,
      body: part.body,
      directory: files.directory,
      fileTemplate: files.config.migrations.fileTemplate,
    })
    written.push({ ...created, part: part.part, phase: part.phase })
  }
  return written
}

/**
 * A downgrade's text: none when there is nothing to undo; where all it could do is
 * beyond SQL (an enum value added), its TODO lines and a statement, so that the runner
 * can step down through the migration.
 */
function downgrade(todoLines: readonly string[], statements: readonly string[]): string | undefined {
  if (statements.length > 0) return [...todoLines, ...statements].join('\n')
  return todoLines.length > 0 ? [...todoLines, 'SELECT 1;'].join('\n') : undefined
}
