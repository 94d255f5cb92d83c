import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Absolute path of Strata's own library entry, so `import ... from 'strata'` always resolves. */
const strataEntry = join(dirname(fileURLToPath(import.meta.url)), '..', 'index.js')

type Jiti = { import: (id: string, options?: { default?: boolean }) => Promise<unknown> }
let jiti: Jiti | undefined

/**
 * Imports a TypeScript or JavaScript module (a config file, a migration). TypeScript
 * is compiled on the fly and cached on disk by content, so unchanged files are not
 * recompiled. `strata` resolves to the running Strata even where it is not installed
 * locally. The loader is itself loaded on first use: commands that import nothing
 * never pay for it.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  if (jiti === undefined) {
    const { createJiti } = await import('jiti')
    jiti = createJiti(import.meta.url, {
      alias: { strata: strataEntry },
      fsCache: true,
      moduleCache: false,
      interopDefault: false,
    }) as Jiti
  }
  return (await jiti.import(file)) as Record<string, unknown>
}
