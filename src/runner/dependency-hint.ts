import type { DatabaseFailure } from './describe-failure.js'

/** SQLSTATE 2BP01 (dependent_objects_still_exist). */
const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01'

/**
 * For a DROP that other objects depend on. PostgreSQL's own hint says "Use DROP ...
 * CASCADE", which drops those objects too (a view, another table's foreign key)
 * without the migration naming them: nothing would back them up, and `strata check`
 * could not say what is lost. This hint replaces it.
 */
export function dependentObjectsHint(failure: DatabaseFailure): string | undefined {
  if (failure.code !== DEPENDENT_OBJECTS_STILL_EXIST) return undefined
  return 'other objects depend on what the statement drops (the detail names them): drop or change each of them first, by name, in this migration or an earlier one. Not CASCADE: it drops them too without the migration saying so, and nothing backs them up'
}

/**
 * For a column retyped under a view or generated column that reads it (SQLSTATE 0A000,
 * "cannot alter type of a column used by a view or rule" / "... by a generated column").
 */
export function columnReadersHint(failure: DatabaseFailure): string | undefined {
  if (failure.code !== '0A000') return undefined
  if (/used by a view or rule/.test(failure.message))
    return "drop the view (the detail names it) first in this migration and make it again after the change, in the same transaction: its definition is SELECT pg_get_viewdef('<view>'::regclass, true); `strata check` lists each such view with its SQL, and `strata revision --autogenerate` writes it so"
  if (/used by a generated column/.test(failure.message))
    return 'drop the generated column (the detail names it) first in this migration and add it again after the change, in the same transaction: its values are computed again; `strata check` writes both statements'
  return undefined
}
