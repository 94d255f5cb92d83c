/** How the two sides of a comparison are named in its sentences. */
export interface ComparedSides {
  /** "in the database": where `live` was read. */
  readonly live: string
  /** "in the migrations": where `expected` comes from. */
  readonly expected: string
  /** Said of an object `expected` has and `live` lacks. */
  readonly missing: string
  /** Said of an object `live` has and `expected` lacks. */
  readonly extra: string
}

/** `public.users.age` → `users.age`: the public schema goes without saying. */
export function displayName(key: string): string {
  return key.startsWith('public.') ? key.slice('public.'.length) : key
}

/** A downgrade's result against the schema before the upgrade (rehearsals, generated migrations). */
export const AFTER_DOWNGRADE: ComparedSides = {
  live: 'after the downgrade',
  expected: 'before the upgrade',
  missing: 'there before the upgrade, gone after the downgrade',
  extra: 'left behind by the downgrade',
}
