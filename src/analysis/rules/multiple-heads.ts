import type { RevisionGraph } from '../../graph/revision-graph.js'

/** Project-wide: more than one head means `strata upgrade head` cannot choose. */
export const multipleHeads = Object.freeze({
  id: 'multiple-heads',
  level: 'error' as const,
  summary:
    'several heads: `upgrade head` refuses, and two branches may change the same tables in an unknown order',
  check(graph: RevisionGraph): { message: string; fix: string }[] {
    const heads = graph.heads
    if (heads.length <= 1) return []
    return [
      {
        message: `the migrations have ${heads.length} heads: ${heads.join(', ')}`,
        fix: `strata merge -m "merge heads" ${heads.join(' ')}   (or target one branch: strata upgrade <label>@head)`,
      },
    ]
  },
})
