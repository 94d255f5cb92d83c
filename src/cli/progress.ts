import type { BackfillProgress } from '../ops/backfill.js'
import { formatDuration } from '../util/duration.js'
import { logTimestamp } from '../util/timestamp.js'

/**
 * Shows backfill progress: a bar redrawn in place on a TTY; on anything else (CI logs,
 * pipes) a timestamped line every few seconds and at the end. Both on stderr, so that
 * stdout keeps only results.
 */
export function progressPrinter(
  quiet: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): (progress: BackfillProgress) => void {
  let lastPlain = 0
  let lastName = ''
  const finishedNames = new Set<string>()
  return (progress) => {
    if (quiet) return
    // Said by the backfill when a wait begins and every few seconds while it lasts.
    if (progress.waiting !== undefined) {
      if (stream.isTTY) stream.write(`\r  backfill ${progress.name}: ${progress.waiting}\u001b[K`)
      else stream.write(`${logTimestamp()} backfill ${progress.name}: ${progress.waiting}\n`)
      return
    }
    if (finishedNames.has(`${progress.name}:${progress.done}`)) return
    const fraction = progress.total === 0 ? 1 : Math.min(1, progress.done / progress.total)
    const rate = progress.elapsedMs > 0 ? (progress.done * 1000) / progress.elapsedMs : 0
    const remaining = rate > 0 ? ((progress.total - progress.done) / rate) * 1000 : 0
    const finished = progress.done >= progress.total
    if (finished) finishedNames.add(`${progress.name}:${progress.done}`)
    const facts = `${progress.done.toLocaleString('en-US')}/${progress.total.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s, ${finished ? `done in ${formatDuration(progress.elapsedMs)}` : `ETA ${formatDuration(Math.round(remaining))}`}`
    if (stream.isTTY) {
      const width = 24
      const filled = Math.round(fraction * width)
      stream.write(
        `\r  backfill ${progress.name} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${facts}\u001b[K`,
      )
      if (finished) stream.write('\n')
      return
    }
    const now = Date.now()
    if (finished || now - lastPlain >= 5000 || progress.name !== lastName) {
      lastPlain = now
      lastName = progress.name
      stream.write(`${logTimestamp()} backfill ${progress.name}: ${Math.floor(fraction * 100)}% ${facts}\n`)
    }
  }
}
