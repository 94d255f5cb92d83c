import { rmSync } from 'node:fs'

const pending = new Set<string>()
let installed = false

/**
 * Removes `path` (a file or a directory) if the process exits while it is still
 * registered: a backup's reserved partial file when Strata is stopped before its own
 * failure path could run (a second Ctrl-C quits at once). The returned function
 * unregisters it, once the path was renamed into place or removed by that path.
 */
export function removeOnExit(path: string): () => void {
  pending.add(path)
  if (!installed) {
    installed = true
    process.on('exit', () => {
      for (const item of pending) rmSync(item, { recursive: true, force: true })
    })
  }
  return () => {
    pending.delete(path)
  }
}
