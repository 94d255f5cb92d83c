import { quoteIdent } from '../db/quote.js'
import { type RawSql, type RelationName, relation, sqlValue, typeName } from './sql-fragments.js'

/**
 * A column, in the guide's vocabulary.
 *
 * @example { name: 'id', type: 'bigint', primaryKey: true, identity: 'always' }
 * @example { name: 'email', type: 'text', nullable: false }
 * @example { name: 'preferences', type: 'jsonb', nullable: false, default: {} }
 * @example { name: 'created_at', type: 'timestamptz', nullable: false, default: sql('now()') }
 */
export interface ColumnSpec {
  readonly name: string
  /** A PostgreSQL type: `bigint`, `text`, `jsonb`, `numeric(10, 2)`, `timestamptz`, ... */
  readonly type: string
  /** Default true, as in SQL. */
  readonly nullable?: boolean
  /** A value (becomes a literal) or `sql('now()')` for an expression. */
  readonly default?: unknown | RawSql
  readonly primaryKey?: boolean
  readonly unique?: boolean
  /** `GENERATED ALWAYS AS IDENTITY` (`'always'` or `true`) or `BY DEFAULT`. */
  readonly identity?: boolean | 'always' | 'by default'
  /** An inline foreign key. */
  readonly references?: {
    readonly table: RelationName
    readonly column?: string
    readonly onDelete?: ReferentialAction
  }
  /** A stored generated column: `GENERATED ALWAYS AS (expr) STORED`. */
  readonly generated?: RawSql
  readonly collation?: string
}

export type ReferentialAction = 'CASCADE' | 'SET NULL' | 'SET DEFAULT' | 'RESTRICT' | 'NO ACTION'

const ACTIONS: readonly ReferentialAction[] = ['CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION']

export function referentialAction(action: string): ReferentialAction {
  const normalised = action.toUpperCase() as ReferentialAction
  if (!ACTIONS.includes(normalised))
    throw new Error(`"${action}" is not a referential action (${ACTIONS.join(', ')})`)
  return normalised
}

/** `"email" text NOT NULL DEFAULT 'x'`. */
export function renderColumn(column: ColumnSpec): string {
  const parts = [quoteIdent(column.name), typeName(column.type)]
  if (column.collation) parts.push(`COLLATE ${quoteIdent(column.collation)}`)
  if (column.identity)
    parts.push(`GENERATED ${column.identity === 'by default' ? 'BY DEFAULT' : 'ALWAYS'} AS IDENTITY`)
  if (column.generated) parts.push(`GENERATED ALWAYS AS (${column.generated.text}) STORED`)
  if (column.nullable === false || column.primaryKey) parts.push('NOT NULL')
  if (column.default !== undefined) parts.push(`DEFAULT ${sqlValue(column.default)}`)
  if (column.primaryKey) parts.push('PRIMARY KEY')
  if (column.unique) parts.push('UNIQUE')
  if (column.references) {
    const target = column.references
    parts.push(
      `REFERENCES ${relation(target.table)}${target.column ? ` (${quoteIdent(target.column)})` : ''}`,
    )
    if (target.onDelete) parts.push(`ON DELETE ${referentialAction(target.onDelete)}`)
  }
  return parts.join(' ')
}
