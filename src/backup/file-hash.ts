import { createHash } from 'node:crypto'
import { createReadStream, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Size in bytes of a file, or of every file in a directory. */
export function sizeOf(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.size
  return readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0)
}

/** sha256 of a file, or of a directory's files: each name and hash, in name order. */
export async function hashArchive(path: string): Promise<string> {
  if (!statSync(path).isDirectory()) return hashFile(path)
  const hash = createHash('sha256')
  for (const name of readdirSync(path).sort()) hash.update(`${name} ${await hashFile(join(path, name))}\n`)
  return hash.digest('hex')
}
