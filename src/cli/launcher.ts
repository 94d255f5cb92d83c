// Entry of dist/strata.cjs, the `strata` executable users run. It runs the CLI bundle,
// dist/strata-cli.cjs (see executable.ts), from V8's code cache when one was written
// for it: compiling the 1 MB bundle, and then each function a command calls on first
// use, is about a tenth of a short command's time. The cache is written at build time
// by a training run of `strata check` (scripts/bundle-cli.mjs) and holds the bytecode
// of every function that run compiled. V8 refuses a cache made by another Node version
// or with other V8 flags; the bundle is then compiled as usual, only slower.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import Module from 'node:module'
import { join } from 'node:path'
import v8 from 'node:v8'
import { Script } from 'node:vm'

// The PostgreSQL parser (libpg-query) is WebAssembly. By default V8 compiles it once
// with its baseline compiler (Liftoff) and then recompiles hot functions with TurboFan
// on background threads. A CLI run is too short to profit: on two cores the recompiles
// compete with the analysis, and the process waits for them before it exits. Baseline
// code only: `strata check` on the 990-file corpus takes 0.6 s instead of 0.8 s, one
// file 0.33 s instead of 0.53 s. Set before the bundle is compiled: V8 accepts a code
// cache only under the flags it was written with.
v8.setFlagsFromString('--liftoff-only')

const bundle = join(__dirname, 'strata-cli.cjs')
const source = readFileSync(bundle, 'utf8')
// The bundle's first line names its build; its cache carries the same name, so a
// cache never outlives the bundle it was made from (V8 itself checks only the length).
const build = /^\/\/ strata-cli build ([0-9a-f]+)\n/.exec(source)?.[1]
const cacheFile = build === undefined ? undefined : join(__dirname, `strata-cli.${build}.cache`)
const writeCache = process.env.STRATA_WRITE_CODE_CACHE === '1' && cacheFile !== undefined

// The bundle has no import() (scripts/bundle-cli.mjs turns each into a require()): a
// vm.Script has no module loader for it.
const script = new Script(Module.wrap(source), {
  filename: bundle,
  cachedData:
    cacheFile !== undefined && !writeCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined,
})
if (writeCache) process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()))
const main = new Module(bundle, module)
main.filename = bundle
main.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname)
const run = script.runInThisContext() as (...args: unknown[]) => void
run.call(main.exports, main.exports, Module.createRequire(bundle), main, bundle, __dirname)
main.loaded = true
