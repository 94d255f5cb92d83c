import { appendAll } from '../../util/append-all.js'
import type { AnalysedStatement } from '../analysed-statement.js'
import { constraintKey } from '../helper-steps.js'
import { isScriptMigration } from '../migration-source.js'
import { tableKey } from '../schema-model.js'
import { tsString } from './fix-names.js'
import { type AlterCommandView, alterCommands, defineRule, perStatement, statementOf } from './rule.js'

// A migration is recorded after its last statement. Statements that ran outside its
// transaction (a `transactional: false` migration, `op.autocommit`) stay when it is
// interrupted, and the runner's retry runs the migration again from its first statement:
// each of them must succeed a second time. squawk's prefer-robust-stmts asks the same of
// every script; here it is asked where Strata's own resume depends on it.

/** What makes a statement fail on its second run, and how to write it so it does not. */
interface Repeat {
  readonly what: string
  readonly fix: string
}

export default defineRule({
  id: 'not-rerunnable',
  level: 'warning',
  summary:
    'outside the transaction, a statement runs again when an interrupted migration is re-run, and fails unless written to (IF NOT EXISTS, IF EXISTS)',
  examples: {
    flagged: [
      {
        sql: 'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
        runner: true,
        transactional: false,
      },
      {
        sql: 'ALTER TABLE orders ADD CONSTRAINT ck_total CHECK (total >= 0) NOT VALID;',
        runner: true,
        transactional: false,
      },
      { sql: 'ALTER TABLE users ADD COLUMN nickname text;', runner: true, transactional: false },
      // Committed early, before the slow part (what op.backfill does): kept on an interruption.
      { sql: 'ALTER TABLE users ADD COLUMN nickname text; COMMIT; BEGIN;', runner: true },
      { sql: "ALTER TYPE mood ADD VALUE 'calm';", runner: true, transactional: false },
      { sql: "INSERT INTO plans (code, name) VALUES ('pro', 'Pro');", runner: true, transactional: false },
      {
        sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email ON users (email);',
        runner: true,
        transactional: false,
        downgrade: 'DROP INDEX CONCURRENTLY ix_users_email;',
      },
      // The helper check of a NOT NULL, added by an earlier migration: gone on the second run.
      {
        sql: 'ALTER TABLE users VALIDATE CONSTRAINT users_country_nn; ALTER TABLE users ALTER COLUMN country SET NOT NULL; ALTER TABLE users DROP CONSTRAINT IF EXISTS users_country_nn;',
        runner: true,
        transactional: false,
      },
    ],
    accepted: [
      {
        sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email ON users (email);',
        runner: true,
        transactional: false,
        downgrade: 'DROP INDEX CONCURRENTLY IF EXISTS ix_users_email;',
      },
      {
        sql: 'ALTER TABLE orders DROP CONSTRAINT IF EXISTS ck_total; ALTER TABLE orders ADD CONSTRAINT ck_total CHECK (total >= 0) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT ck_total;',
        runner: true,
        transactional: false,
      },
      // Added again by each run, in the statement that drops it first.
      {
        sql: 'ALTER TABLE users DROP CONSTRAINT IF EXISTS users_country_nn, ADD CONSTRAINT users_country_nn CHECK (country IS NOT NULL) NOT VALID; ALTER TABLE users VALIDATE CONSTRAINT users_country_nn; ALTER TABLE users ALTER COLUMN country SET NOT NULL; ALTER TABLE users DROP CONSTRAINT IF EXISTS users_country_nn;',
        runner: true,
        transactional: false,
      },
      {
        sql: "INSERT INTO plans (code, name) VALUES ('pro', 'Pro') ON CONFLICT (code) DO NOTHING;",
        runner: true,
        transactional: false,
      },
      {
        sql: "INSERT INTO plans (code, name) SELECT 'pro', 'Pro' WHERE NOT EXISTS (SELECT 1 FROM plans WHERE code = 'pro');",
        runner: true,
        transactional: false,
      },
      // In the migration's transaction: an interruption leaves nothing to repeat.
      { sql: 'ALTER TABLE users ADD COLUMN nickname text;', runner: true },
      { sql: 'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text; COMMIT; BEGIN;', runner: true },
      // A script, not a migration: Strata does not re-run it.
      'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
    ],
  },
  check: (context) => {
    if (context.migration.revision === undefined) return []
    const hits = upgradeStatements(context)
    // An interrupted downgrade is run again from its start too.
    if (context.downgrade !== undefined)
      appendAll(hits, downgradeStatements({ ...context, statements: context.downgrade }))
    return hits
  },
})

const REPEATABLE_KINDS = [
  'CreateStmt',
  'IndexStmt',
  'CreateSchemaStmt',
  'CreateSeqStmt',
  'CreateExtensionStmt',
  'AlterTableStmt',
  'DropStmt',
  'AlterEnumStmt',
  'CreateEnumStmt',
  'ViewStmt',
  'CreateFunctionStmt',
  'CreateTrigStmt',
  'RenameStmt',
  'InsertStmt',
]

/** The rule over one direction's statements (`context.statements`). */
function checkDirection(direction: 'migration' | 'downgrade') {
  return perStatement((statement, context) => {
    if (statement.managed || statement.rerunGuarded) return undefined
    const commit =
      statement.transaction === undefined ? undefined : earlyCommit(statement, context.statements)
    if (statement.transaction !== undefined && commit === undefined) return undefined
    const repeat = repeatFailure(statement, context.statements)
    if (repeat === undefined) return undefined
    const where =
      commit === undefined
        ? `outside the ${direction}'s transaction`
        : `and is committed before the ${direction} ends (${commit.managed ? `by the op call at line ${commit.line ?? '?'}, which commits what came before it, as op.backfill, op.autocommit and the recipes using them do` : `COMMIT at line ${commit.line ?? '?'}`})`
    return {
      statement,
      message: `${repeat.what} ${where}: if the ${direction} is interrupted after it, the re-run repeats it and fails`,
      fix: `${repeat.fix}${opOption(statement, repeat.fix, context.migration.file)}\nor move it into a transactional migration of its own`,
    }
  }, REPEATABLE_KINDS)
}

/**
 * The COMMIT that ends the statement's transaction before the migration's own end (an
 * explicit one, or the one `op.backfill` / `op.autocommit` runs): what it made is kept
 * when the migration is interrupted later. Undefined when the transaction lasts to the
 * end (the runner's commit records the migration with it) or is rolled back.
 */
function earlyCommit(
  statement: AnalysedStatement,
  statements: readonly AnalysedStatement[],
): AnalysedStatement | undefined {
  let ends = transactionEnds.get(statements)
  if (ends === undefined) {
    ends = commitsFrom(statements)
    transactionEnds.set(statements, ends)
  }
  const next = statements[statement.index + 1]
  return next !== undefined && next.transaction === statement.transaction
    ? ends[statement.index + 1]
    : undefined
}

/**
 * For each statement's position, the COMMIT that a scan from there meets first within
 * the same transaction (undefined when a ROLLBACK or the transaction's end comes first),
 * worked out in one pass from the end. Scanning ahead from every statement instead took
 * quadratic time: 377 s for a seed migration of 200,000 INSERTs in one transaction.
 */
const transactionEnds = new WeakMap<readonly AnalysedStatement[], (AnalysedStatement | undefined)[]>()

function commitsFrom(statements: readonly AnalysedStatement[]): (AnalysedStatement | undefined)[] {
  const ends: (AnalysedStatement | undefined)[] = new Array(statements.length)
  for (let index = statements.length - 1; index >= 0; index--) {
    const here = statements[index]!
    const kind = here.kind === 'TransactionStmt' ? statementOf(here, 'TransactionStmt')?.kind : undefined
    const next = statements[index + 1]
    ends[index] =
      kind === 'TRANS_STMT_COMMIT'
        ? here
        : kind === 'TRANS_STMT_ROLLBACK'
          ? undefined
          : next !== undefined && next.transaction === here.transaction
            ? ends[index + 1]
            : undefined
  }
  return ends
}

/** In a TypeScript migration the statement came from an op call: the option that guards it. */
function opOption(statement: AnalysedStatement, fix: string, file: string | undefined): string {
  if (file === undefined || !isScriptMigration(file)) return ''
  // Triggers, functions, views, types and renames come from op.execute: no option guards them.
  if (!OP_GUARDED_KINDS.has(statement.kind)) return ''
  if (/\bIF NOT EXISTS\b/.test(fix)) return '\nTS: pass { ifNotExists: true } to the op call that creates it'
  if (!/\bIF EXISTS\b/.test(fix)) return ''
  const [command] = alterCommands(statement)
  if (command?.subtype === 'AT_DropConstraint')
    return `\nTS: await op.dropConstraint(${tsString(command.name ?? '')}, ${tsString(command.table)}, { ifExists: true })`
  if (command?.subtype === 'AT_DropColumn')
    return `\nTS: await op.dropColumn(${tsString(command.table)}, ${tsString(command.name ?? '')}, { ifExists: true })`
  return '\nTS: pass { ifExists: true } to the op call that drops it'
}

/** Statements the op API renders with an ifNotExists / ifExists option. */
const OP_GUARDED_KINDS = new Set([
  'CreateStmt',
  'IndexStmt',
  'AlterTableStmt',
  'DropStmt',
  'CreateSchemaStmt',
  'CreateExtensionStmt',
])

const upgradeStatements = checkDirection('migration')
const downgradeStatements = checkDirection('downgrade')

/** CREATE statements that take IF NOT EXISTS: what they create, and the words it follows. */
const CREATES: Readonly<Record<string, readonly [string, RegExp]>> = {
  CreateStmt: ['creates a table', /\bTABLE\b/i],
  IndexStmt: ['creates an index', /\bINDEX(?:\s+CONCURRENTLY)?\b/i],
  CreateSchemaStmt: ['creates a schema', /\bSCHEMA\b/i],
  CreateSeqStmt: ['creates a sequence', /\bSEQUENCE\b/i],
  CreateExtensionStmt: ['creates an extension', /\bEXTENSION\b/i],
}

/** `DROP <object type> [CONCURRENTLY] `: where IF EXISTS goes. */
const DROP_OBJECT =
  /^(DROP\s+(?:MATERIALIZED\s+VIEW|FOREIGN\s+TABLE|EVENT\s+TRIGGER|ACCESS\s+METHOD|TEXT\s+SEARCH\s+\w+|\w+)(?:\s+CONCURRENTLY)?)\s+/i

function repeatFailure(statement: AnalysedStatement, all: readonly AnalysedStatement[]): Repeat | undefined {
  const ifNotExists = (what: string, keyword: RegExp): Repeat => ({
    what,
    fix: asStatement(statement.sql.replace(keyword, (words) => `${words} IF NOT EXISTS`)),
  })
  const created = CREATES[statement.kind]
  if (created !== undefined)
    return statementOf(statement, statement.kind)?.if_not_exists ? undefined : ifNotExists(...created)
  switch (statement.kind) {
    case 'AlterEnumStmt': {
      const alter = statementOf(statement, 'AlterEnumStmt')
      if (alter?.newVal === undefined || alter.skipIfNewValExists) return undefined
      return ifNotExists(`adds enum value '${alter.newVal}'`, /\bADD\s+VALUE\b/i)
    }
    case 'DropStmt':
      return statementOf(statement, 'DropStmt')?.missing_ok
        ? undefined
        : {
            what: 'drops an object',
            fix: asStatement(statement.sql.replace(DROP_OBJECT, '$1 IF EXISTS ')),
          }
    case 'CreateEnumStmt':
      return {
        what: 'creates a type (CREATE TYPE has no IF NOT EXISTS)',
        fix: 'create it in a transactional migration, or guard it: DO $$ BEGIN CREATE TYPE ...; EXCEPTION WHEN duplicate_object THEN NULL; END $$;',
      }
    case 'ViewStmt':
      return statementOf(statement, 'ViewStmt')?.replace
        ? undefined
        : {
            what: 'creates a view',
            fix: asStatement(statement.sql.replace(/^CREATE\b/i, 'CREATE OR REPLACE')),
          }
    case 'CreateFunctionStmt':
      return statementOf(statement, 'CreateFunctionStmt')?.replace
        ? undefined
        : {
            what: 'creates a function',
            fix: asStatement(statement.sql.replace(/^CREATE\b/i, 'CREATE OR REPLACE')),
          }
    case 'CreateTrigStmt':
      return statementOf(statement, 'CreateTrigStmt')?.replace
        ? undefined
        : {
            what: 'creates a trigger',
            fix: `${statement.sql.replace(/^CREATE\b/i, 'CREATE OR REPLACE')}  -- PostgreSQL 14+; before: DROP TRIGGER IF EXISTS first`,
          }
    case 'RenameStmt':
      return {
        what: 'renames an object (the old name is gone on the second run)',
        fix: 'rename in a transactional migration of its own',
      }
    case 'AlterTableStmt':
      return alterTableRepeat(statement, all)
    case 'InsertStmt': {
      // ON CONFLICT, or a SELECT that leaves out the rows already there, inserts nothing twice.
      if (statementOf(statement, 'InsertStmt')?.onConflictClause !== undefined) return undefined
      if (/\bNOT\s+EXISTS\b|\bEXCEPT\b/i.test(statement.sql)) return undefined
      return {
        what: 'inserts rows (a second run inserts them again, or fails on a unique key)',
        fix: `${statement.sql.replace(/;?\s*$/, '')} ON CONFLICT DO NOTHING;  -- with a unique key on the rows; or INSERT ... SELECT ... WHERE NOT EXISTS (...)`,
      }
    }
    default:
      return undefined
  }
}

/** ADD COLUMN / DROP COLUMN / DROP CONSTRAINT without their IF clauses; ADD CONSTRAINT not dropped before. */
function alterTableRepeat(
  statement: AnalysedStatement,
  all: readonly AnalysedStatement[],
): Repeat | undefined {
  for (const command of alterCommands(statement)) {
    const guarded = command.missingOk
    switch (command.subtype) {
      case 'AT_AddColumn':
        if (!guarded)
          return {
            what: `adds column ${command.table}.${command.def?.ColumnDef?.colname}`,
            fix: asStatement(statement.sql.replace(/\bADD\s+(?:COLUMN\s+)?/i, 'ADD COLUMN IF NOT EXISTS ')),
          }
        break
      case 'AT_DropColumn':
      case 'AT_DropConstraint':
        if (!guarded)
          return {
            what: `drops ${command.subtype === 'AT_DropColumn' ? 'column' : 'constraint'} ${command.name} of ${command.table}`,
            fix: asStatement(
              statement.sql.replace(
                /\bDROP\s+(COLUMN\s+|CONSTRAINT\s+)?/i,
                (_, word: string | undefined) => `DROP ${(word ?? 'COLUMN ').trim()} IF EXISTS `,
              ),
            ),
          }
        break
      case 'AT_ValidateConstraint': {
        // A helper check validated, then dropped (a NOT NULL proven first): once the
        // drop has run, the re-run's VALIDATE finds no such constraint.
        const name = command.name
        if (name === undefined || !droppedAfter(statement, all, command.table, name)) break
        if (addedBefore(statement, all, command.table, name)) break
        return {
          what: `validates constraint ${name} of ${command.table}, which a later statement drops (VALIDATE has no IF EXISTS)`,
          fix: `add it again just before, so that every run finds it: ALTER TABLE ${command.table} DROP CONSTRAINT IF EXISTS ${name}, ADD CONSTRAINT ${name} <definition> NOT VALID;`,
        }
      }
      case 'AT_AddConstraint': {
        const name = command.def?.Constraint?.conname as string | undefined
        if (name !== undefined && droppedBefore(statement, all, command.table, name, command)) break
        return {
          what:
            name === undefined
              ? `adds an unnamed constraint to ${command.table} (a second run adds a second copy)`
              : `adds constraint ${name} to ${command.table}`,
          fix:
            name === undefined
              ? `name the constraint, and drop it first: ALTER TABLE ${command.table} DROP CONSTRAINT IF EXISTS <name>;`
              : `ALTER TABLE ${command.table} DROP CONSTRAINT IF EXISTS ${name};  -- first, in the same migration`,
        }
      }
    }
  }
  return undefined
}

/**
 * True when the migration drops constraint `name` of `table` before `command`: in an
 * earlier statement, or earlier in the same one (`DROP CONSTRAINT IF EXISTS c, ADD
 * CONSTRAINT c ...`).
 */
function droppedBefore(
  statement: AnalysedStatement,
  all: readonly AnalysedStatement[],
  table: string,
  name: string,
  command: AlterCommandView,
): boolean {
  const drops = constraintAction('AT_DropConstraint', table, name)
  const own = alterCommands(statement)
  return anyCommand(all, 0, statement.index, drops) || own.slice(0, own.indexOf(command)).some(drops)
}

/** True when a later statement of the migration drops constraint `name` of `table`. */
function droppedAfter(
  statement: AnalysedStatement,
  all: readonly AnalysedStatement[],
  table: string,
  name: string,
): boolean {
  return anyCommand(all, statement.index + 1, all.length, constraintAction('AT_DropConstraint', table, name))
}

/** True when an earlier statement of the migration adds constraint `name` to `table` (each run makes it anew). */
function addedBefore(
  statement: AnalysedStatement,
  all: readonly AnalysedStatement[],
  table: string,
  name: string,
): boolean {
  return anyCommand(all, 0, statement.index, constraintAction('AT_AddConstraint', table, name))
}

/** Matches a subcommand that adds or drops constraint `name` of `table` (`public.t` being `t`). */
function constraintAction(
  subtype: 'AT_AddConstraint' | 'AT_DropConstraint',
  table: string,
  name: string,
): (command: AlterCommandView) => boolean {
  const key = `${tableKey(table)}\u0000${name}`
  return (command) => command.subtype === subtype && constraintKey(command) === key
}

/** Whether a subcommand of the statements `from` up to (not including) `to` matches. */
function anyCommand(
  all: readonly AnalysedStatement[],
  from: number,
  to: number,
  matches: (command: AlterCommandView) => boolean,
): boolean {
  for (let index = from; index < to; index++) if (alterCommands(all[index]!).some(matches)) return true
  return false
}

function asStatement(sql: string): string {
  return sql.replace(/;?\s*$/, ';')
}
