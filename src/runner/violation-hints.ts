import { quoteIdent, quoteQualified } from '../db/quote.js'
import type { DatabaseFailure } from './describe-failure.js'

/**
 * The guide's "constraint violation" troubleshooting, for the failure at hand: a
 * constraint or NOT NULL the existing rows break, or a data step writing a row the
 * constraints refuse. Says which rows, the query that lists them, and the safe way
 * round. Undefined for other failures.
 */
export function violationHint(failure: DatabaseFailure, statementSql?: string): string | undefined {
  if (failure.table === undefined) return undefined
  const table = quoteQualified(failure.schema === 'public' ? undefined : failure.schema, failure.table)
  const key =
    /^Key \((.+)\)=\((.*)\) (is duplicated|already exists|is not present in table .+|is still referenced from table .+)\.$/s.exec(
      failure.detail ?? '',
    )
  // A foreign key or check that refuses rows a statement writes (INSERT, UPDATE, DELETE)
  // asks for other data, not for the constraint to be added in two steps.
  if (statementSql !== undefined && WRITES_ROWS.test(statementSql)) {
    if (failure.code === '23503' && key?.[3]?.startsWith('is not present'))
      return `the statement writes ${table} rows with (${key[1]}) = (${key[2]}), which ${key[3]}: insert the referenced rows first (in an earlier statement or migration), or write values that exist`
    if (failure.code === '23503' && key?.[3]?.startsWith('is still referenced'))
      return `rows ${key[3].replace(/^is still referenced from /, 'of ')} still reference the ${table} row with (${key[1]}) = (${key[2]}) that the statement deletes or changes: delete or re-point them first, in an earlier statement`
    if (failure.code === '23514')
      return `the statement writes a row of ${table} that breaks the check${failure.constraint ? ` ${quoteIdent(failure.constraint)}` : ''}${failure.detail ? ` (${failure.detail.replace(/\.$/, '')})` : ''}: write values the check accepts`
  }
  // The constraint is already there NOT VALID (new rows are checked): only the old rows
  // stand in the way, and the same migration validates it once they are fixed.
  if (statementSql !== undefined && VALIDATES.test(statementSql)) {
    if (failure.code === '23503')
      return `rows of ${table} reference rows that do not exist${key ? `, e.g. (${key[1]}) = (${key[2]}), which ${key[3]}` : ''}: delete or fix those rows, then run the command again. The key stays NOT VALID meanwhile, so new rows are already checked`
    if (failure.code === '23514')
      return `rows of ${table} break the check${failure.constraint ? ` ${quoteIdent(failure.constraint)}` : ''}: list them with SELECT * FROM ${table} WHERE NOT (<its condition>), fix them, then run the command again. The check stays NOT VALID meanwhile, so new rows are already checked`
  }
  switch (failure.code) {
    case '23505':
      if (key?.[3] === 'is duplicated')
        return `rows of ${table} already hold duplicates of (${key[1]}), e.g. (${key[2]}). List them: SELECT ${key[1]}, count(*) FROM ${table} GROUP BY ${key[1]} HAVING count(*) > 1; remove or merge them in a step before the constraint, or in TS use op.dedupeAndAddUnique, which sets the duplicates aside in a table of their own`
      return `a row of ${table} with (${key?.[1] ?? 'that key'}) = (${key?.[2] ?? '...'}) already exists: skip or merge such rows (INSERT ... ON CONFLICT DO NOTHING, or DO UPDATE), or clean the data first`
    case '23502': {
      if (failure.column === undefined) return undefined
      const column = quoteIdent(failure.column)
      if (/^null value in column/.test(failure.message))
        return `the statement writes NULL into ${table}.${column}: give it a value, or the column a DEFAULT`
      return `${table}.${column} has NULLs (or is a new column without a DEFAULT): fill them first (UPDATE ${table} SET ${column} = ... WHERE ${column} IS NULL, in batches with op.backfill), or give a new column a DEFAULT; in TS op.addNotNullColumn does both without a long lock`
    }
    case '23503':
      return `rows of ${table} reference rows that do not exist${key ? `, e.g. (${key[1]}) = (${key[2]}), which ${key[3]}` : ''}: delete or fix those rows first, or add the key NOT VALID (new rows are checked at once) and VALIDATE it once they are clean; in TS op.addForeignKeySafely does the two steps`
    case '23514':
      return `rows of ${table} break the check${failure.constraint ? ` ${quoteIdent(failure.constraint)}` : ''}: list them with SELECT * FROM ${table} WHERE NOT (<its condition>) and fix them first, or add the check NOT VALID and VALIDATE it once they are clean; in TS op.addCheckSafely does the two steps`
    default:
      return undefined
  }
}

/** `ALTER TABLE ... VALIDATE CONSTRAINT`: the second step of a constraint added NOT VALID. */
const VALIDATES = /^\s*ALTER\s+TABLE\b[\s\S]*\bVALIDATE\s+CONSTRAINT\b/i

/** A statement that writes rows (possibly behind a WITH), not one that adds a constraint. */
const WRITES_ROWS = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:INSERT|UPDATE|DELETE|MERGE|COPY|WITH)\b/i
