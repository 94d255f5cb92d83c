import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { appendAll } from '../util/append-all.js'

/**
 * Read size for hashing. Archives run to gigabytes: reading them in 4 MiB pieces into one
 * reused buffer hashes a 143 MB archive in ~120 ms here, against ~200–330 ms through a
 * read stream's 64 KiB chunks (each a new buffer and an event).
 */
const HASH_READ_BYTES = 4 * 1024 * 1024

/** sha256 of a file, read into `buffer` piece by piece. */
async function hashFile(path: string, buffer: Buffer): Promise<string> {
  const hash = createHash('sha256')
  const file = await open(path, 'r')
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) return hash.digest('hex')
      hash.update(buffer.subarray(0, bytesRead))
    }
  } finally {
    await file.close()
  }
}

/** Every file under a directory, as paths relative to it, in a stable order. */
function filesUnder(root: string, prefix = ''): string[] {
  const files: string[] = []
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const relative = prefix === '' ? name : `${prefix}/${name}`
    if (statSync(join(root, relative)).isDirectory()) appendAll(files, filesUnder(root, relative))
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
  const buffer = Buffer.allocUnsafe(HASH_READ_BYTES)
  if (!statSync(path).isDirectory()) return hashFile(path, buffer)
  const hash = createHash('sha256')
  for (const name of filesUnder(path)) hash.update(`${name} ${await hashFile(join(path, name), buffer)}\n`)
  return hash.digest('hex')
}
