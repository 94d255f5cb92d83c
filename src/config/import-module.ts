import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Defined (true) by scripts/bundle-cli.mjs in the bundled executable, dist/strata.cjs.
declare const STRATA_BUNDLED: boolean | undefined

/**
 * Absolute path of Strata's library entry (dist/index.js), so `import ... from 'strata'`
 * in a config or migration always resolves, even where Strata is not installed locally.
 */
export const strataEntry =
  typeof STRATA_BUNDLED === 'boolean'
    ? join(__dirname, 'index.js') // the bundle sits in dist/ itself
    : join(dirname(fileURLToPath(import.meta.url)), '..', 'index.js')

type Jiti = {
  import: (id: string, options?: { default?: boolean }) => Promise<unknown>
  transform: (options: { source: string; filename: string; ts: boolean }) => string
}
/** One loader per tsconfig.json (its `paths`), and one for modules outside any. */
const loaders = new Map<string, Jiti>()

/**
 * The loader, itself loaded on first use: commands that import nothing never pay for it.
 * With the project's tsconfig.json, its `compilerOptions.paths` aliases resolve
 * (`import { tables } from '@/db/tables'`), as they do in the application.
 */
async function loader(tsconfig?: string): Promise<Jiti> {
  const key = tsconfig ?? ''
  let jiti = loaders.get(key)
  if (jiti === undefined) {
    const { createJiti } = await import('jiti')
    jiti = createJiti(import.meta.url, {
      alias: { strata: strataEntry },
      fsCache: true,
      moduleCache: false,
      interopDefault: false,
      ...(tsconfig === undefined ? {} : { tsconfigPaths: tsconfig }),
    }) as Jiti
    loaders.set(key, jiti)
  }
  return jiti
}

/** Found once per directory: a project's migrations share one. */
const tsconfigByDirectory = new Map<string, string | undefined>()

/**
 * The tsconfig.json nearest above `file`, when it may declare path aliases: `paths`
 * itself, or an `extends` (a shared base file usually holds them).
 */
function tsconfigWithPaths(file: string): string | undefined {
  const directory = dirname(file)
  if (tsconfigByDirectory.has(directory)) return tsconfigByDirectory.get(directory)
  let found: string | undefined
  for (let dir = directory, depth = 0; depth < 20; depth++) {
    const candidate = join(dir, 'tsconfig.json')
    if (existsSync(candidate)) {
      if (/"(paths|extends)"\s*:/.test(readFileSync(candidate, 'utf8'))) found = candidate
      break
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  tsconfigByDirectory.set(directory, found)
  return found
}

/**
 * Imports a TypeScript or JavaScript module (a config file, a migration). TypeScript
 * is compiled on the fly and cached on disk by content, so unchanged files are not
 * recompiled. `strata` resolves to the running Strata even where it is not installed
 * locally; the project's tsconfig `paths` aliases resolve as in the application.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  return (await (await loader(tsconfigWithPaths(file))).import(file)) as Record<string, unknown>
}

/**
 * A TypeScript or JavaScript module compiled to CommonJS, with its imports turned into
 * `require(...)` calls (the loader's own compilation, without running it).
 */
export async function compileToCommonJs(source: string, filename: string): Promise<string> {
  return (await loader()).transform({ source, filename, ts: true })
}
