import { appendAll } from '../../util/append-all.js'
import type { AnalysedStatement, MigrationSource } from '../analysed-statement.js'
import { nodeOf, relationName } from '../ast.js'
import type { ChangeClass } from '../effects.js'
import { isScriptMigration } from '../migration-source.js'
import type { TableFacts } from '../schema-model.js'
import { oncePerStatement } from './once-per-statement.js'

export type Level = 'error' | 'warning' | 'info'

/** What a rule sees: one migration, analysed, and where it will run. */
export interface RuleContext {
  readonly migration: MigrationSource
  readonly statements: readonly AnalysedStatement[]
  /** The downgrade's statements, when the migration has one. */
  readonly downgrade: readonly AnalysedStatement[] | undefined
  /** Server major version the analysis assumes. */
  readonly serverVersion: number
  /** The migration's class, for rules about phases. */
  readonly changeClass: ChangeClass
  /** `alembic_version.version_num`'s length (32 unless the database says otherwise). */
  readonly versionColumnLength: number
  /** What the database says of a table (connected mode only): size, columns, indexes. */
  readonly tableFacts?: (table: string) => TableFacts | undefined
}

/** One problem found by a rule. */
export interface RuleHit {
  readonly statement?: AnalysedStatement | undefined
  /**
   * Plain ASCII, like every text the analysis writes: one em dash makes a whole
   * `--format json` report a two-byte string, which Node encodes to UTF-8 about three
   * times slower (~20 ms of a 1,000-file check).
   */
  readonly message: string
  /** The safe alternative, ready to paste: `op` API or SQL. */
  readonly fix: string
  /** When the finding is less serious in this migration than the rule's default (a drop in a contract phase). */
  readonly level?: Level
  /** The file's line, for a finding about code rather than a statement. */
  readonly line?: number | undefined
}

/** An SQL example a rule must flag (or must accept), run as a test. */
export type RuleExample =
  | string
  | {
      readonly sql: string
      /** Analyse as a Strata migration run by the runner (a transaction, lock_timeout set). */
      readonly runner?: boolean
      /** With `runner`: false for a `transactional: false` migration (no transaction around it). */
      readonly transactional?: boolean
      readonly serverVersion?: number
      readonly phase?: 'expand' | 'migrate' | 'contract'
      readonly downgrade?: string | null
      /** What connected mode would read of the tables, by table key. */
      readonly database?: ReadonlyMap<string, TableFacts>
    }

export interface Rule {
  readonly id: string
  readonly level: Level
  /** One line: the hazard. */
  readonly summary: string
  readonly examples: { readonly flagged: readonly RuleExample[]; readonly accepted: readonly RuleExample[] }
  check(context: RuleContext): RuleHit[]
}

export function defineRule(rule: Rule): Rule {
  return Object.freeze(rule)
}

/**
 * A rule written for one statement at a time. `kinds` names the statements it looks at
 * (`['AlterTableStmt']`); others are never shown to it. Each rule's check is its own
 * function, cold in a CLI run, while this loop is shared by all rules and soon
 * optimised: skipping here instead of in the check took ~30% off the analysis of a
 * large corpus.
 */
export function perStatement(
  check: (statement: AnalysedStatement, context: RuleContext) => RuleHit | readonly RuleHit[] | undefined,
  kinds?: readonly string[],
): (context: RuleContext) => RuleHit[] {
  const wanted = kinds === undefined ? undefined : new Set(kinds)
  // A plain indexed loop: this runs for every rule on every statement, and flatMap's
  // throw-away arrays (and for...of's iterator objects, in cold code) showed in the
  // profile of a large check.
  return (context) => {
    const hits: RuleHit[] = []
    const { statements } = context
    for (let index = 0; index < statements.length; index++) {
      const statement = statements[index]!
      if (wanted !== undefined && !wanted.has(statement.kind)) continue
      const result = check(statement, context)
      if (result === undefined) continue
      if (Array.isArray(result)) appendAll(hits, result)
      else hits.push(result as RuleHit)
    }
    return hits
  }
}

/**
 * A rule's check run over the downgrade's statements too, each of its messages saying
 * so: a rollback is run when things are already going wrong, and a downgrade that
 * keeps a table locked while it rewrites every row makes it worse.
 */
export function andDowngrade(
  check: (context: RuleContext) => RuleHit[],
): (context: RuleContext) => RuleHit[] {
  return (context) => {
    const hits = check(context)
    const downgrade = context.downgrade
    if (downgrade === undefined || downgrade.length === 0) return hits
    const more = check({ ...context, statements: downgrade })
    for (let h = 0; h < more.length; h++)
      hits.push({ ...more[h]!, message: `in the downgrade: ${more[h]!.message}` })
    return hits
  }
}

/**
 * How a migration in this file's format declares its phase, for fixes: the SQL header
 * line, the TypeScript export, or both when the file is not a migration.
 */
export function phaseDeclaration(migration: MigrationSource, phase: string): string {
  const file = migration.file ?? ''
  if (file.endsWith('.sql') && migration.revision !== undefined) return `-- phase: ${phase}`
  if (isScriptMigration(file)) return `export const phase = '${phase}'`
  return `export const phase = '${phase}' (SQL: -- phase: ${phase})`
}

/** The body of the statement when it is of `kind`. */
export function statementOf<T = any>(statement: AnalysedStatement, kind: string): T | undefined {
  return statement.kind === kind ? nodeOf<T>(statement.node, kind) : undefined
}

export interface AlterCommandView {
  readonly table: string
  readonly subtype: string
  readonly name: string | undefined
  readonly def: any
  /** IF EXISTS / IF NOT EXISTS was written (`ADD COLUMN IF NOT EXISTS`, `DROP CONSTRAINT IF EXISTS`). */
  readonly missingOk: boolean
  /** CASCADE was written on this subcommand (`DROP CONSTRAINT ... CASCADE`). */
  readonly cascade: boolean
}

const NO_COMMANDS: readonly AlterCommandView[] = Object.freeze([])
const alterCommandsOnce = oncePerStatement(readAlterCommands)

/**
 * The subcommands of an `ALTER TABLE`, with the table they apply to. Sixteen rules ask
 * for them of every statement: built once per statement.
 */
export function alterCommands(statement: AnalysedStatement): readonly AlterCommandView[] {
  return statement.kind === 'AlterTableStmt' ? alterCommandsOnce(statement) : NO_COMMANDS
}

function readAlterCommands(statement: AnalysedStatement): AlterCommandView[] {
  const alter = statementOf(statement, 'AlterTableStmt')
  if (alter === undefined || (alter.objtype && alter.objtype !== 'OBJECT_TABLE')) return []
  const table = relationName(alter.relation)
  return (alter.cmds ?? []).map((command: any) => ({
    table,
    subtype: command.AlterTableCmd?.subtype ?? '',
    name: command.AlterTableCmd?.name,
    def: command.AlterTableCmd?.def,
    missingOk: command.AlterTableCmd?.missing_ok === true,
    cascade: command.AlterTableCmd?.behavior === 'DROP_CASCADE',
  }))
}

/** False when the table was created earlier in the same migration (so it is empty and private). */
export function isExisting(statement: AnalysedStatement, table: string): boolean {
  return statement.effects.locks.find((lock) => lock.table === table)?.existing ?? true
}
