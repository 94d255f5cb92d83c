/** Levenshtein distance, small and allocation-light: inputs are option and key names. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidate closest to `input`, or undefined when nothing is close enough to be a
 * plausible typo (more than 40% of the word changed).
 *
 * @example closestMatch('databse', ['databases', 'dev']) // 'databases'
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  if (best === undefined) return undefined
  const limit = Math.max(2, Math.ceil(Math.max(input.length, best.length) * 0.4))
  return bestDistance <= limit ? best : sameFirstWord(input, candidates)
}

/**
 * The one candidate a longer spelling begins like: `slow-queries` for `slow`,
 * `index-usage` for `indexes` (the first word of at least three letters, one a prefix
 * of the other). Undefined when none or several do.
 */
function sameFirstWord(input: string, candidates: Iterable<string>): string | undefined {
  const word = input.toLowerCase().split(/[-_\s.]/)[0] ?? ''
  if (word.length < 3) return undefined
  const matches = [...candidates].filter((candidate) => {
    const name = candidate.toLowerCase()
    return name.startsWith(word) || word.startsWith(name)
  })
  return matches.length === 1 ? matches[0] : undefined
}

/** " Did you mean "x"?" or an empty string, ready to append to a message. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = closestMatch(input, candidates)
  return match === undefined ? '' : ` Did you mean "${match}"?`
}
