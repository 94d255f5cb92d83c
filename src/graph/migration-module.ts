import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { compileFunction } from 'node:vm'
import { compileToCommonJs, importModule } from '../config/import-module.js'
import { writeCacheFile } from '../util/write-cache-file.js'

// Part of the cache key: a new way of compiling must not reuse old compilations.
const COMPILED_VERSION = 1

// What a compilation may ask for and still run from the cache: Strata itself.
const REQUIRE = /\brequire\(\s*(["'])([^"']*)\1\s*\)/g
// Signs of a module that needs the full loader: dynamic imports, import.meta, the
// loader's own marker for a file it could not compile.
const NEEDS_LOADER = /\bimport\s*\(|\bimport\.meta\b|\bjiti\w*\(|__JITI_ERROR__/

let strataLibrary: Record<string, unknown> | undefined

/**
 * Loads a TypeScript migration. A migration that imports nothing but `strata` (most
 * do) runs from its compilation cached by checksum in `cacheDir` (.strata/cache),
 * evaluated directly: a project with hundreds of migrations loads several times
 * faster than through the module loader. Anything else (helper modules, packages,
 * dynamic imports, a file that does not compile) goes through `importModule`, which
 * also reports its errors.
 */
export async function loadMigrationModule(
  file: string,
  source: () => string,
  checksum: string,
  cacheDir: string | undefined,
): Promise<Record<string, unknown>> {
  if (cacheDir === undefined) return importModule(file)
  const code = await compiled(file, source, checksum, cacheDir)
  const required = [...code.matchAll(REQUIRE)].map((match) => match[2])
  if (NEEDS_LOADER.test(code) || required.some((id) => id !== 'strata')) return importModule(file)
  // The running Strata's own library modules (inside the bundled executable, the bundle's),
  // so values such as op.sql(...) fragments are of the classes the runner checks for.
  if (required.length > 0) strataLibrary ??= (await import('../index.js')) as Record<string, unknown>
  const run = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: file,
  })
  const module = { exports: {} as Record<string, unknown> }
  run(module.exports, () => strataLibrary, module, file, dirname(file))
  return module.exports
}

async function compiled(
  file: string,
  source: () => string,
  checksum: string,
  cacheDir: string,
): Promise<string> {
  const path = join(cacheDir, 'compiled', `${checksum}.v${COMPILED_VERSION}.cjs`)
  try {
    return readFileSync(path, 'utf8')
  } catch {
    // Not compiled yet.
  }
  const code = await compileToCommonJs(source(), file)
  writeCacheFile(path, code)
  return code
}

/**
 * Removes compilations no migration file has any more (a migration edited or deleted
 * leaves its old one behind). Best effort: a file removed while another process reads
 * it is compiled again there.
 */
export function pruneCompiled(cacheDir: string, checksums: ReadonlySet<string>): void {
  const directory = join(cacheDir, 'compiled')
  let names: string[]
  try {
    names = readdirSync(directory)
  } catch {
    return // nothing compiled yet
  }
  for (const name of names) {
    if (checksums.has(name.split('.')[0]!)) continue
    try {
      rmSync(join(directory, name), { force: true })
    } catch {
      // A read-only cache keeps its old files; they cost disk space, nothing else.
    }
  }
}
