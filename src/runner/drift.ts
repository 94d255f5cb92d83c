import type { RevisionGraph } from '../graph/revision-graph.js'

/** An applied migration whose file changed after it ran. */
export interface DriftWarning {
  readonly revision: string
  readonly file: string
  readonly appliedChecksum: string
  readonly currentChecksum: string
}

/** Applied revisions whose file no longer matches the checksum recorded when they ran. */
export function detectDrift(
  graph: RevisionGraph,
  applied: ReadonlySet<string>,
  /** Revision → checksum when last applied (`readAppliedChecksums`). */
  recorded: ReadonlyMap<string, string>,
): DriftWarning[] {
  const warnings: DriftWarning[] = []
  for (const revision of applied) {
    const appliedChecksum = recorded.get(revision)
    if (appliedChecksum === undefined || !graph.has(revision)) continue
    const meta = graph.get(revision)
    if (meta.checksum !== appliedChecksum && meta.bytesChecksum !== appliedChecksum) {
      warnings.push({ revision, file: meta.file, appliedChecksum, currentChecksum: meta.checksum })
    }
  }
  return warnings
}

export function describeDrift(warning: DriftWarning): string {
  return `${warning.revision} was edited after it was applied (${warning.file}: sha256 ${warning.currentChecksum.slice(0, 12)} now, ${warning.appliedChecksum.slice(0, 12)} when applied); the database may not match the file`
}
