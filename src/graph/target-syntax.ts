import { UsageError } from '../errors/index.js'

/**
 * A target as written on the command line, before it meets the graph:
 *
 * | text                 | meaning                                              |
 * | -------------------- | ---------------------------------------------------- |
 * | `head`, `heads`      | the single head / every head                         |
 * | `base`               | before the first migration                           |
 * | `current`            | where the database is                                |
 * | `abc123`, `abc`      | a revision, a unique prefix, or a branch label       |
 * | `+2`, `-1`           | steps from the current revision                      |
 * | `abc+2`, `head-1`    | steps from a revision (or from head / current)       |
 * | `auth@head`          | the head of the branch that `auth` (label or rev) is on |
 * | `auth@base`          | the base of that branch                              |
 * | `auth@+1`, `auth@-1` | steps from that branch's current revision            |
 */
export type ParsedTarget =
  | { readonly kind: 'heads' }
  | { readonly kind: 'head'; readonly branch: string | undefined }
  | { readonly kind: 'base'; readonly branch: string | undefined }
  | { readonly kind: 'current' }
  | { readonly kind: 'revision'; readonly reference: string }
  | { readonly kind: 'relative'; readonly anchor: Anchor; readonly steps: number }

/** What a relative move counts from. */
export type Anchor =
  | { readonly kind: 'current' }
  | { readonly kind: 'head' }
  | { readonly kind: 'branch'; readonly branch: string }
  | { readonly kind: 'revision'; readonly reference: string }

const NAME = '[A-Za-z0-9_]+'

export function parseTarget(text: string): ParsedTarget {
  const target = text.trim()
  if (target === 'heads') return { kind: 'heads' }
  if (target === 'head') return { kind: 'head', branch: undefined }
  if (target === 'base') return { kind: 'base', branch: undefined }
  if (target === 'current') return { kind: 'current' }
  let match = /^([+-]\d+)$/.exec(target)
  if (match) return relative({ kind: 'current' }, match[1]!, text)
  match = new RegExp(`^(${NAME})@(head|base|[+-]\\d+)$`).exec(target)
  if (match) {
    const branch = match[1]!
    if (match[2] === 'head') return { kind: 'head', branch }
    if (match[2] === 'base') return { kind: 'base', branch }
    return relative({ kind: 'branch', branch }, match[2]!, text)
  }
  match = new RegExp(`^(${NAME})([+-]\\d+)$`).exec(target)
  if (match) {
    const name = match[1]!
    // Not revisions: "no revision heads" would send the user looking for one.
    if (name === 'heads' || name === 'base')
      throw new UsageError(
        `"${text}": a relative move counts from one revision, and ${name === 'heads' ? 'heads names every head' : 'base is before every revision'}`,
        {
          hint:
            name === 'heads'
              ? 'count from one: head-1, label@-1, REV+1, or +1 / -1 from where the database is'
              : 'name the revision to go to, or count from where the database is: +1',
        },
      )
    const anchor: Anchor =
      name === 'head'
        ? { kind: 'head' }
        : name === 'current'
          ? { kind: 'current' }
          : { kind: 'revision', reference: name }
    return relative(anchor, match[2]!, text)
  }
  if (new RegExp(`^${NAME}$`).test(target)) return { kind: 'revision', reference: target }
  if (target.includes(':'))
    throw new UsageError(`"${text}" is a range: a range is for offline scripts (--sql)`, {
      hint: `add --sql to print the script of ${text}, or give one target to run: head, a revision, +N, -N`,
    })
  throw new UsageError(`"${text}" is not a valid target`, {
    hint: 'use head, heads, base, a revision id or prefix, +N, -N, REV+N, REV-N, label@head, label@base or label@+N',
  })
}

function relative(anchor: Anchor, stepsText: string, text: string): ParsedTarget {
  const steps = Number(stepsText)
  if (steps === 0) throw new UsageError(`"${text}" moves zero steps`, { hint: 'use +1, -1 or more' })
  return { kind: 'relative', anchor, steps }
}

/** Splits `A:B` (history ranges, offline mode); either side may be empty. */
export function parseRange(text: string): { from: string | undefined; to: string | undefined } {
  const parts = text.split(':')
  if (parts.length !== 2)
    throw new UsageError(`"${text}" is not a range`, { hint: 'write FROM:TO, e.g. base:head or abc123:' })
  return { from: parts[0] || undefined, to: parts[1] || undefined }
}
