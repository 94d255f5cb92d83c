import { type Connection, connect } from '../db/connect.js'
import { type ConnectionSpec, maskedUrl } from '../db/connection-spec.js'
import { readAppliedChecksums, readHistory } from '../db/history-table.js'
import { readVersionRows } from '../db/version-table.js'
import type { MigrationSet } from '../graph/load-migrations.js'
import { type DriftWarning, detectDrift } from './drift.js'
import type { RunnerTables } from './run-plan.js'

/** One row of `strata current`. */
export interface CurrentRevision {
  readonly revision: string
  readonly message: string | undefined
  readonly isHead: boolean
  /** False for a row no migration file defines. */
  readonly known: boolean
  readonly branchLabels: readonly string[]
}

/** Where a database is relative to its migrations. */
export interface DatabaseStatus {
  readonly database: string
  /** The version table's rows, as stored. */
  readonly rows: readonly string[]
  /**
   * What `current` shows: the rows, plus applied heads that a dependent revision
   * absorbed (Alembic shows these as "implied" current heads too).
   */
  readonly current: readonly CurrentRevision[]
  /** Every head is applied. */
  readonly atHead: boolean
  /** Revisions not yet applied, in the order they would run. */
  readonly pending: readonly string[]
  readonly unknownRows: readonly string[]
  /**
   * With unknown rows: the revision strata_history last recorded applying or stamping
   * successfully, when the files define it (where `stamp --purge` most likely belongs).
   */
  readonly lastRecorded?: string | undefined
  readonly drift: readonly DriftWarning[]
}

/** Reads the database's state without changing anything. */
export async function databaseStatus(
  spec: ConnectionSpec,
  migrations: MigrationSet,
  tables: RunnerTables,
  connection?: Connection,
): Promise<DatabaseStatus> {
  const own = connection ?? (await connect(spec))
  try {
    const rows = await readVersionRows(own.client, tables.version)
    const { graph } = migrations
    const known = rows.filter((row) => graph.has(row))
    const unknownRows = rows.filter((row) => !graph.has(row))
    const applied = graph.ancestors(known, { includeSelf: true })
    const implied = graph.heads.filter((head) => applied.has(head) && !rows.includes(head))
    const current = [...rows, ...implied].map((revision) => ({
      revision,
      message: graph.has(revision) ? graph.get(revision).message : undefined,
      isHead: graph.has(revision) && graph.isHead(revision),
      known: graph.has(revision),
      branchLabels: graph.has(revision) ? graph.branchLabelsOf(revision) : [],
    }))
    const pendingSet = new Set(
      graph
        .all()
        .map((meta) => meta.revision)
        .filter((revision) => !applied.has(revision)),
    )
    const checksums =
      unknownRows.length > 0
        ? new Map<string, string>()
        : await readAppliedChecksums(own.client, tables.history)
    const lastRecorded =
      unknownRows.length > 0
        ? (await readHistory(own.client, tables.history))
            .filter((row) => row.outcome === 'success' && row.direction !== 'down')
            .at(-1)?.revision
        : undefined
    return {
      database: maskedUrl(spec),
      rows,
      current,
      atHead: unknownRows.length === 0 && graph.heads.every((head) => applied.has(head)),
      pending: graph.upgradeOrder(pendingSet),
      unknownRows,
      ...(lastRecorded !== undefined && graph.has(lastRecorded) ? { lastRecorded } : {}),
      drift: detectDrift(graph, applied, checksums),
    }
  } finally {
    if (connection === undefined) await own.close()
  }
}
