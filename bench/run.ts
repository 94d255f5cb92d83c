// `npm run bench -- NAME [options]`: runs bench/NAME.ts. See bench/README.md.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const [name, ...rest] = process.argv.slice(2)
const available = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => file.replace(/\.ts$/, ''))
if (!name || !existsSync(join(import.meta.dirname, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`)
  process.exit(2)
}
// Node reads and parses the NODE_EXTRA_CA_CERTS bundle before running any code: this
// machine sets it, and it adds 40-80 ms to every Node process started (strata,
// node-pg-migrate), none of which uses TLS here (every connection is local). The
// benchmarks time the tools, so the commands they run go without it; --keep-env keeps it.
const keepEnv = rest.includes('--keep-env')
if (!keepEnv && process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  delete process.env.NODE_EXTRA_CA_CERTS
  console.error('NODE_EXTRA_CA_CERTS removed from the timed commands’ environment (--keep-env keeps it)')
}
process.argv = [
  process.argv[0]!,
  join(import.meta.dirname, `${name}.ts`),
  ...rest.filter((arg) => arg !== '--keep-env'),
]
await import(`./${name}.ts`)
