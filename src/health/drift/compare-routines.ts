import type { RoutineFacts } from './catalog-snapshot.js'
import { type ComparedSides, displayName } from './compared-sides.js'

/**
 * Functions and procedures on both sides. A definition is many lines, so a changed one
 * is reported by its first differing line rather than whole, and a missing or extra one
 * by its name.
 */
export function routineDifferences(
  live: ReadonlyMap<string, RoutineFacts>,
  expected: ReadonlyMap<string, RoutineFacts>,
  sides: ComparedSides,
): string[] {
  const found: string[] = []
  for (const [key, want] of expected) {
    const have = live.get(key)
    if (have === undefined) found.push(`${want.kind} ${displayName(key)}: ${sides.missing}`)
    else if (have.definition !== want.definition)
      found.push(
        `${want.kind} ${displayName(key)}: ${firstDifference(have.definition, want.definition, sides)}`,
      )
  }
  for (const [key, have] of live) {
    if (!expected.has(key)) found.push(`${have.kind} ${displayName(key)}: ${sides.extra}`)
  }
  return found
}

/** "line 4 is `RETURN x + 2;` in the database, `RETURN x + 1;` in the migrations". */
function firstDifference(have: string, want: string, sides: ComparedSides): string {
  const haveLines = have.split('\n')
  const wantLines = want.split('\n')
  let line = 0
  while (line < haveLines.length && line < wantLines.length && haveLines[line] === wantLines[line]) line += 1
  const shown = (text: string | undefined) => (text === undefined ? 'absent' : `\`${text.trim()}\``)
  return `definitions differ from line ${line + 1}: ${shown(haveLines[line])} ${sides.live}, ${shown(wantLines[line])} ${sides.expected}`
}
