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
process.argv = [process.argv[0]!, join(import.meta.dirname, `${name}.ts`), ...rest]
await import(`./${name}.ts`)
