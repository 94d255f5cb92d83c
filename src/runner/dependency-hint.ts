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
