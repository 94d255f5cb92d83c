import { closestMatch } from '../util/closest-match.js'
import { formatDuration } from '../util/duration.js'
import { oneLine } from '../util/one-line.js'
import type { AnalysedStatement, InvalidOpCall, MigrationSource } from './analysed-statement.js'
import { nodeKind } from './ast.js'
import { type Classification, changeClassOf, classify, describeSize } from './classify.js'
import { markCompatibleRenames } from './compatible-renames.js'
import { markHelperSteps } from './helper-steps.js'
import { blockedBy, describeBlocked, type LockMode } from './lock-modes.js'
import type { AllowComment, ParsedStatement } from './parse-sql.js'
import { markReplacedPrimaryKeys } from './primary-keys.js'
import { markRemadeViews } from './remade-views.js'
import { markReplacedSequences } from './replaced-sequences.js'
import { BUILT_IN, type Level, RULES, type RuleHit, ruleIds } from './rules/index.js'
import { SchemaModel, type TableFacts } from './schema-model.js'
import { SessionState } from './session-state.js'
import { statementEffects } from './statement-effects.js'

/** A rule's level after the config: a level, or off. */
export type LevelSetting = Level | 'off'

export interface AnalysisSettings {
  readonly serverVersion: number
  /** `check.rules` of the config: rule id → level or 'off'. */
  readonly levels: ReadonlyMap<string, LevelSetting>
  readonly versionColumnLength: number
}

/** One finding, ready to show. */
export interface Finding {
  readonly rule: string
  readonly level: Level
  readonly message: string
  readonly fix: string
  readonly line: number | undefined
  /** Index of the statement in the migration's upgrade, when the finding is about one. */
  readonly statement: number | undefined
  /** The reason given in `strata:allow`, when the finding is suppressed (then it does not count). */
  readonly suppressed: string | undefined
}

/** The lock table row of one statement. */
export interface StatementReport {
  readonly line: number | undefined
  readonly sql: string
  readonly locks: readonly { table: string; mode: LockMode; blocks: string; existing: boolean }[]
  readonly rewrites: readonly string[]
  readonly scans: readonly string[]
  readonly indexBuilds: readonly string[]
  readonly notes: readonly string[]
  /** "5s (runner)", "2s (line 3)", or undefined when nothing limits the wait. */
  readonly lockTimeout: string | undefined
  readonly inTransaction: boolean
  /** How many later statements run before the transaction ends (the lock is held through them). */
  readonly heldThrough: number
}

export interface MigrationReport {
  readonly id: string
  readonly revision: string | undefined
  readonly file: string | undefined
  readonly title: string
  readonly phase: string | undefined
  readonly classification: Classification
  readonly statements: readonly StatementReport[]
  readonly findings: readonly Finding[]
  readonly unverifiable: readonly string[]
  /** Connected mode: size of each existing table the migration locks. */
  readonly tables: readonly { table: string; size: string }[]
}

/** Runs the lock model over statements, following transactions and timeouts. */
export function analyseStatements(
  statements: readonly ParsedStatement[],
  source: MigrationSource,
  model: SchemaModel,
  serverVersion: number,
): AnalysedStatement[] {
  const session = new SessionState(source.start)
  const all = statements.map((parsed, index) => {
    const lock = session.setting('lock_timeout')
    // Named fields, not `...parsed`: statements come in two shapes (with and without
    // `managed`), and spreading both sent every copy down V8's slow generic path.
    const analysed: AnalysedStatement = {
      node: parsed.node,
      sql: parsed.sql,
      line: parsed.line,
      allow: parsed.allow,
      managed: parsed.managed,
      partitionAware: parsed.partitionAware,
      rerunGuarded: parsed.rerunGuarded,
      index,
      kind: nodeKind(parsed.node),
      effects: statementEffects(parsed.node, parsed.sql, { model, serverVersion }),
      transaction: session.transaction,
      lockTimeoutMs: lock.value,
      lockTimeoutFrom: lock.from,
      statementTimeoutMs: session.setting('statement_timeout').value,
    }
    if (parsed.note !== undefined) (analysed.effects.notes as string[]).push(parsed.note)
    session.apply(parsed.node, parsed.line === undefined ? `statement ${index + 1}` : `line ${parsed.line}`)
    model.apply(parsed.node)
    return analysed
  })
  return markReplacedPrimaryKeys(
    markHelperSteps(markReplacedSequences(markRemadeViews(markCompatibleRenames(all)))),
  )
}

/**
 * Analyses one migration: the lock model for every statement, every enabled rule,
 * suppressions, and the classification. `model` carries the schema from one
 * migration to the next.
 */
export function analyseMigration(
  source: MigrationSource,
  model: SchemaModel,
  settings: AnalysisSettings,
): MigrationReport {
  model.beginMigration()
  const statements = analyseStatements(source.up, source, model, settings.serverVersion)
  const downgrade =
    source.down === undefined
      ? undefined
      : analyseStatements(source.down, source, new SchemaModel(), settings.serverVersion)
  const context = {
    migration: source,
    statements,
    downgrade,
    serverVersion: settings.serverVersion,
    changeClass: changeClassOf(statements).class,
    versionColumnLength: settings.versionColumnLength,
    tableFacts: (table: string) => model.facts(table),
  }
  const findings: Finding[] = []
  const add = (rule: string, defaultLevel: Level, hit: RuleHit, inDowngrade = false) => {
    const configured = settings.levels.get(rule)
    if (configured === 'off') return
    const statement = hit.statement
    const allowed =
      (inDowngrade ? undefined : statement?.allow.find((a) => a.rule === rule && a.reason)) ??
      source.allow.find((a) => a.rule === rule && a.reason)
    findings.push({
      rule,
      level: configured ?? hit.level ?? defaultLevel,
      message: hit.message,
      fix: hit.fix,
      line: statement?.line ?? hit.line,
      statement: inDowngrade ? undefined : statement?.index,
      suppressed: allowed?.reason,
    })
  }
  // Indexed loops: this function stays cold in a CLI run, and there `for...of` allocates
  // an iterator and a result object per step (40 rules × every migration).
  for (let r = 0; r < RULES.length; r++) {
    const rule = RULES[r]!
    const hits = rule.check(context)
    for (let h = 0; h < hits.length; h++) {
      const hit = hits[h]!
      add(rule.id, rule.level, hit, hit.statement !== undefined && !statements.includes(hit.statement))
    }
  }
  const unverifiable = [
    ...source.unverifiable,
    ...statements
      .filter((s) => s.effects.unverifiable)
      .map((s) => `${s.line ? `line ${s.line}: ` : ''}${s.effects.unverifiable}`),
  ]
  const builtIn = (id: string) => BUILT_IN.find((rule) => rule.id === id)!.level
  // A migration can say the same with op calls Strata renders; a plain script (psql's
  // \i and \gexec, DO blocks) can only be read by a person; an Alembic one can be ported.
  const unverifiableFix =
    source.revision === undefined
      ? 'review that part by hand'
      : source.file?.endsWith('.py')
        ? 'review it by hand, or port it to a TypeScript or SQL migration with the same revision id (`strata convert` on its directory does that for a migration made of op calls)'
        : 'review that part by hand, or express it with op calls Strata can render (op.backfill, op.execute with fixed SQL)'
  for (const text of unverifiable) {
    add('unverifiable', builtIn('unverifiable'), { message: text, fix: unverifiableFix })
  }
  for (const call of source.invalidCalls) {
    // The finding shows its line in a column of its own.
    add('invalid-op-call', builtIn('invalid-op-call'), {
      message: invalidCallText(call, false),
      line: call.line,
      fix: call.fix,
    })
  }
  for (const problem of suppressionProblems([...source.allow, ...statements.flatMap((s) => s.allow)])) {
    add('invalid-suppression', builtIn('invalid-suppression'), problem)
  }
  const facts = (table: string) => model.facts(table)
  const counted = findings.filter((f) => f.suppressed === undefined)
  const heldAfter = laterInTransaction(statements)
  return {
    id: source.id,
    revision: source.revision,
    file: source.file,
    title: source.title,
    phase: source.phase,
    classification: classify(
      statements,
      counted.map((f) => f.level),
      facts,
      source.invalidCalls.length > 0
        ? invalidCallText(source.invalidCalls[0]!, true)
        : unverifiable.length > 0
          ? 'part of it cannot be analysed offline'
          : undefined,
      source.phase,
    ),
    statements: statements.map((statement, index) => statementReport(statement, heldAfter[index]!)),
    findings: findings.map((finding) => withSizes(finding, statements, facts)),
    unverifiable,
    tables: lockedTables(statements, facts),
  }
}

/** "upgrade() fails at line 18: op.func is not a function". */
function invalidCallText(call: InvalidOpCall, withLine: boolean): string {
  return `${call.side}() fails${withLine && call.line !== undefined ? ` at line ${call.line}` : ''}: ${call.error}`
}

function suppressionProblems(allows: readonly AllowComment[]): RuleHit[] {
  if (allows.length === 0) return [] // most migrations: no rule list to build
  const known = ruleIds()
  return allows.flatMap((allow) => {
    if (!known.includes(allow.rule)) {
      const near = closestMatch(allow.rule, known)
      return [
        {
          message: `strata:allow names an unknown rule "${allow.rule}"${allow.line ? ` (line ${allow.line})` : ''}`,
          fix: near ? `did you mean "${near}"?` : 'see `strata check --rules` for the rule ids',
        },
      ]
    }
    if (allow.reason === '') {
      return [
        {
          message: `strata:allow ${allow.rule} gives no reason${allow.line ? ` (line ${allow.line})` : ''}, so it does not apply`,
          fix: `-- strata:allow ${allow.rule}: <why this is safe here>`,
        },
      ]
    }
    return []
  })
}

/**
 * For each statement, how many statements (not counting BEGIN/COMMIT) follow it in its
 * transaction: as long as those run, its locks stay held. One pass from the end.
 */
function laterInTransaction(statements: readonly AnalysedStatement[]): number[] {
  const later: number[] = new Array(statements.length).fill(0)
  const following = new Map<number, number>()
  for (let index = statements.length - 1; index >= 0; index--) {
    const { transaction, kind } = statements[index]!
    if (transaction === undefined) continue
    later[index] = following.get(transaction) ?? 0
    if (kind !== 'TransactionStmt') following.set(transaction, later[index]! + 1)
  }
  return later
}

/** @param later statements after it in its transaction (see `laterInTransaction`) */
function statementReport(statement: AnalysedStatement, later: number): StatementReport {
  const { effects } = statement
  return {
    line: statement.line,
    sql: oneLine(statement.sql, 160),
    locks: effects.locks.map((lock) => ({
      table: lock.table,
      mode: lock.mode,
      blocks: describeBlocked(lock.mode),
      existing: lock.existing,
    })),
    rewrites: effects.rewrites.map((w) => `${w.table}: ${w.why}`),
    scans: effects.scans.map((w) => `${w.table}: ${w.why}`),
    indexBuilds: effects.indexBuilds.map((w) => `${w.table}: ${w.why}`),
    notes: effects.notes,
    lockTimeout: statement.lockTimeoutMs
      ? `${formatDuration(statement.lockTimeoutMs)} (${statement.lockTimeoutFrom})`
      : undefined,
    inTransaction: statement.transaction !== undefined,
    heldThrough: effects.locks.some((l) => blockedBy(l.mode).writes) ? later : 0,
  }
}

/** Adds "(users: 12 GB, ~40 million rows)" to a finding about a table the database knows. */
function withSizes(
  finding: Finding,
  statements: readonly AnalysedStatement[],
  facts: (table: string) => TableFacts | undefined,
): Finding {
  // Sizes rank lock hazards; a type preference is the same advice on any table.
  if (finding.statement === undefined || finding.rule.startsWith('prefer-')) return finding
  const sizes = statements[finding.statement]!.effects.locks.flatMap((lock) => {
    const known = lock.existing ? facts(lock.table) : undefined
    return known ? [`${lock.table}: ${describeSize(known)}`] : []
  })
  return sizes.length === 0 ? finding : { ...finding, message: `${finding.message} (${sizes.join('; ')})` }
}

function lockedTables(
  statements: readonly AnalysedStatement[],
  facts: (table: string) => TableFacts | undefined,
): { table: string; size: string }[] {
  const seen = new Map<string, string>()
  for (const statement of statements) {
    for (const lock of statement.effects.locks) {
      const known = lock.existing ? facts(lock.table) : undefined
      if (known && !seen.has(lock.table)) seen.set(lock.table, describeSize(known))
    }
  }
  return [...seen].map(([table, size]) => ({ table, size }))
}

/**
 * Applies a migration's upgrade to the schema model without analysing or reporting it:
 * the schema that earlier migrations built, for a check of the ones after them.
 */
export function replayMigration(source: MigrationSource, model: SchemaModel): void {
  model.beginMigration()
  for (let s = 0; s < source.up.length; s++) model.apply(source.up[s]!.node)
}
