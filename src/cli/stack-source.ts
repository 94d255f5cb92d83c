import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, relative, resolve } from 'node:path'

const maps = new Map<string, SourceMap | undefined>()

/**
 * A stack trace with each frame in the bundled CLI (`dist/strata-cli.cjs:12345:7`) shown
 * at the TypeScript line it was built from (`src/runner/run-step.ts:131:9`), read from the
 * map the build writes beside the bundle. Frames it cannot map are kept as they are.
 */
export function sourceStack(stack: string): string {
  return stack.replace(/(\/[^\s():]*strata-cli\.cjs):(\d+):(\d+)/g, (frame, bundle: string, line, column) => {
    const map = mapOf(bundle)
    if (map === undefined) return frame
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string
      originalLine?: number
      originalColumn?: number
    }
    if (entry.originalSource === undefined || entry.originalLine === undefined) return frame
    const source = resolve(dirname(bundle), entry.originalSource.replace(/^file:\/\//, ''))
    return `${relative(resolve(dirname(bundle), '..'), source)}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`
  })
}

function mapOf(bundle: string): SourceMap | undefined {
  if (!maps.has(bundle)) {
    const file = `${bundle}.map`
    maps.set(bundle, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : undefined)
  }
  return maps.get(bundle)
}
