import type { Constraint } from 'libpg-query'
import { sqlIdent } from '../../db/quote.js'
import { escapeRegex } from '../../util/wildcard.js'
import { findNodes, nameList } from '../ast.js'

export { sqlIdent, sqlTableName } from '../../db/quote.js'

/** The table part of a `schema.table` name, for names derived from it (`fk_<table>_<column>`). */
export function tableBaseName(table: string): string {
  return table.slice(table.lastIndexOf('.') + 1)
}

/**
 * The name PostgreSQL gives a constraint written without one, so that a fix can name it
 * (`VALIDATE CONSTRAINT orders_user_id_fkey`): `<table>_<columns>_fkey` for a foreign key,
 * `<table>_<column>_check` for a check on one column and `<table>_check` otherwise (63
 * bytes at most; PostgreSQL adds a digit when the name is taken, which a fix cannot know).
 */
export function constraintName(table: string, constraint: Constraint): string {
  if (constraint.conname) return constraint.conname
  const base = tableBaseName(table)
  if (constraint.contype === 'CONSTR_FOREIGN') {
    const columns = nameList(constraint.fk_attrs)
    return `${base}${columns.length > 0 ? `_${columns.join('_')}` : ''}_fkey`.slice(0, 63)
  }
  const columns = new Set(
    findNodes<{ fields?: never[] }>(constraint.raw_expr, 'ColumnRef').map((reference) =>
      nameList(reference.fields).at(-1),
    ),
  )
  const [column] = columns
  return `${base}${columns.size === 1 && column ? `_${column}` : ''}_check`.slice(0, 63)
}

/**
 * The index in `sql`, from `from`, of the first place outside quotes and parentheses
 * where `stop` holds for the rest of the text (a keyword is matched only at the start
 * of a word); `sql.length` when there is none.
 */
function scanTopLevel(sql: string, from: number, stop: RegExp): number {
  let depth = 0
  let quote: string | undefined
  for (let index = from; index < sql.length; index++) {
    const char = sql[index]!
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      continue
    }
    if (char === "'" || char === '"') quote = char
    else if (char === '(') depth++
    else if (char === ')') depth--
    else if (
      depth === 0 &&
      (!/\w/.test(char) || !/\w/.test(sql[index - 1] ?? ' ')) &&
      stop.test(sql.slice(index))
    )
      return index
  }
  return sql.length
}

/** What ends a column's DEFAULT expression: the next column, the end, or its next clause. */
const AFTER_DEFAULT =
  /^(?:[,;]|(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES|PRIMARY\s+KEY|UNIQUE|GENERATED|COLLATE)\b)/i

/**
 * The DEFAULT expression of column `column` as an `ADD COLUMN` in `sql` writes it, for a
 * fix to repeat; undefined when it cannot be found.
 *
 * @example columnDefaultText('ALTER TABLE t ADD COLUMN n numeric(12,2) DEFAULT round(random() * 10, 2) NOT NULL', 'n') // 'round(random() * 10, 2)'
 */
export function columnDefaultText(sql: string, column: string): string | undefined {
  const head = new RegExp(
    `\\bADD\\s+(?:COLUMN\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?"?${escapeRegex(column)}"?\\s`,
    'i',
  )
  return clauseText(sql, head, 'DEFAULT', AFTER_DEFAULT)
}

/**
 * The USING expression of `ALTER COLUMN column TYPE ... USING expr` as written in `sql`;
 * undefined when there is none.
 */
export function usingExpressionText(sql: string, column: string): string | undefined {
  const head = new RegExp(
    `\\bALTER\\s+(?:COLUMN\\s+)?"?${escapeRegex(column)}"?\\s+(?:SET\\s+DATA\\s+)?TYPE\\s`,
    'i',
  )
  return clauseText(sql, head, 'USING', /^[,;]/)
}

/**
 * The text after `keyword` in the command that `head` finds (before that command ends at
 * a top-level comma), up to `end`; undefined when the command has no such clause.
 */
function clauseText(sql: string, head: RegExp, keyword: string, end: RegExp): string | undefined {
  const command = head.exec(sql)
  if (!command) return undefined
  const at = scanTopLevel(sql, command.index + command[0].length, new RegExp(`^(?:[,;]|${keyword}\\b)`, 'i'))
  const word = new RegExp(`^${keyword}\\s+`, 'i').exec(sql.slice(at))
  if (!word) return undefined
  const start = at + word[0].length
  const text = sql.slice(start, scanTopLevel(sql, start, end)).trim()
  return text === '' ? undefined : text
}

/** The expression of `GENERATED ALWAYS AS (...) STORED` as written in `sql`; undefined when not found. */
export function generatedExpressionText(sql: string): string | undefined {
  const open = /\bGENERATED\s+ALWAYS\s+AS\s*\(/i.exec(sql)
  return open ? parenthesised(sql, open.index + open[0].length) : undefined
}

/** The text from `start` (just after an opening parenthesis) to its closing one; quotes respected. */
function parenthesised(sql: string, start: number): string | undefined {
  let depth = 1
  let quote: string | undefined
  for (let index = start; index < sql.length; index++) {
    const char = sql[index]
    if (quote !== undefined) {
      if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') quote = char
    else if (char === '(') depth++
    else if (char === ')' && --depth === 0) return sql.slice(start, index).trim()
  }
  return undefined
}

/** A TS string literal of `text` in single quotes, as the fixes write op calls. */
export function tsString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * The name a fix gives a partition's own index or constraint: `<name>_<partition>`, as
 * the op recipes name them when they run, quoted where SQL needs it.
 */
export function partitionObjectName(name: string, partition: string): string {
  return sqlIdent(`${name}_${tableBaseName(partition).replace(/"/g, '')}`.slice(0, 63))
}

/** A column as a key of a TS object literal in a fix (`{ total: ... }`, `{ 'Total': ... }`). */
export function objectKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * The condition of a `CHECK (...)` as written in `sql`: the one of the constraint named
 * `name`, else the first; undefined when it cannot be found (a fix then shows a
 * placeholder). Parentheses inside quoted strings do not count.
 *
 * @example checkConditionText("ALTER TABLE t ADD CHECK (a IN ('(', 'b'))") // "a IN ('(', 'b')"
 */
export function checkConditionText(sql: string, name: string | undefined): string | undefined {
  const named =
    name === undefined
      ? undefined
      : new RegExp(`\\bCONSTRAINT\\s+"?${escapeRegex(name)}"?\\s+CHECK\\s*\\(`, 'i')
  const match = named?.exec(sql) ?? /\bCHECK\s*\(/i.exec(sql)
  return match ? parenthesised(sql, match.index + match[0].length) : undefined
}

/** A foreign key's referential actions by the parser's codes (NO ACTION, the default, left out). */
export const REFERENTIAL_ACTIONS: Readonly<Record<string, string>> = {
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
}

/** A foreign key's actions as the op call's last argument (`, { onDelete: 'cascade' }`), or nothing. */
export function foreignKeyOptionsArgument(constraint: Constraint): string {
  const onDelete = REFERENTIAL_ACTIONS[constraint.fk_del_action ?? '']?.toLowerCase()
  const onUpdate = REFERENTIAL_ACTIONS[constraint.fk_upd_action ?? '']?.toLowerCase()
  const options = [
    onDelete && `onDelete: '${onDelete}'`,
    onUpdate && `onUpdate: '${onUpdate}'`,
    constraint.deferrable && 'deferrable: true',
  ].filter(Boolean)
  return options.length === 0 ? '' : `, { ${options.join(', ')} }`
}

/** `['user_id']` from a constraint's column list; PostgreSQL's default (the primary key) as `['id']`. */
export function columnsArray(attributes: unknown, fallback: readonly string[] = []): string {
  const names = nameList(attributes as never)
  return `[${(names.length > 0 ? names : fallback).map(tsString).join(', ')}]`
}
