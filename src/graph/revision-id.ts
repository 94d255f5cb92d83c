import { randomBytes } from 'node:crypto'

/** `alembic_version.version_num` is varchar(32). */
export const MAX_REVISION_LENGTH = 32

/** Words that mean something in a target and so cannot be revision ids or labels. */
export const RESERVED_REFERENCES = ['head', 'heads', 'base', 'current'] as const

/**
 * Why a revision id or branch label is unusable, or undefined when it is fine.
 * Letters, digits and underscores only: `+ - @ :` are target syntax (`rev+1`,
 * `label@head`, `a:b`).
 */
export function revisionIdProblem(id: string, what = 'revision id'): string | undefined {
  if (id.length === 0) return `the ${what} is empty`
  if (id.length > MAX_REVISION_LENGTH) {
    return `the ${what} "${id}" is ${id.length} characters long; alembic_version.version_num holds at most ${MAX_REVISION_LENGTH}`
  }
  if (!/^[A-Za-z0-9_]+$/.test(id)) {
    return `the ${what} "${id}" may only contain letters, digits and underscores (+ - @ : have meanings in targets)`
  }
  if ((RESERVED_REFERENCES as readonly string[]).includes(id))
    return `"${id}" is a reserved word and cannot be a ${what}`
  return undefined
}

/** A new revision id: 12 lower-case hex characters, as Alembic generates. */
export function generateRevisionId(): string {
  return randomBytes(6).toString('hex')
}
