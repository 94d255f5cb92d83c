import { createHash } from 'node:crypto'
import { createReadStream, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Every file under a directory, as paths relative to it, in a stable order. */
function filesUnder(root: string, prefix = ''): string[] {
  const files: string[] = []
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const relative = prefix === '' ? name : `${prefix}/${name}`
    if (statSync(join(root, relative)).isDirectory()) files.push(...filesUnder(root, relative))
    else files.push(relative)
  }
  return files
}

/** Size in bytes of a file, or of every file under a directory. */
export function sizeOf(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.size
  return filesUnder(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0)
}

/** sha256 of a file, or of a directory's files: each relative path and hash, in order. */
export async function hashArchive(path: string): Promise<string> {
  if (!statSync(path).isDirectory()) return hashFile(path)
  const hash = createHash('sha256')
  for (const name of filesUnder(path)) hash.update(`${name} ${await hashFile(join(path, name))}\n`)
  return hash.digest('hex')
}
