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
