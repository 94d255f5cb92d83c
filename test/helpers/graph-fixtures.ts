import type { MigrationMeta } from '../../src/graph/migration.js'
import { RevisionGraph } from '../../src/graph/revision-graph.js'

/** A migration's metadata for graph tests: `meta('b', ['a'], { dependsOn: ['x1'] })`. */
export function meta(
  revision: string,
  downRevisions: string[] = [],
  extra: Partial<MigrationMeta> = {},
): MigrationMeta {
  return {
    revision,
    downRevisions,
    branchLabels: [],
    dependsOn: [],
    message: `message of ${revision}`,
    transactional: true,
    phase: undefined,
    file: `/migrations/${revision}.sql`,
    format: 'sql',
    checksum: revision,
    hasDowngrade: true,
    createDate: undefined,
    ...extra,
  }
}

export function graphOf(...metas: MigrationMeta[]): RevisionGraph {
  RevisionGraph.validate(metas)
  return new RevisionGraph(metas)
}
