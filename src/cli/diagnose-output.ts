import { quoteQualified, sqlIdent } from '../db/quote.js'
import type { ActivityReport } from '../diagnose/activity.js'
import type { BlockingNode, BlockingReport } from '../diagnose/blocking.js'
import type { IndexReport } from '../diagnose/index-usage.js'
import type { LockRow } from '../diagnose/locks.js'
import type { ReplicationReport } from '../diagnose/replication.js'
import type { SessionInfo } from '../diagnose/sessions.js'
import { prettySize, type SizeReport, type TableSize } from '../diagnose/sizes.js'
import type { SlowQueryReport } from '../diagnose/slow-queries.js'
import { primaryKeyFix } from '../diagnose/tables-without-primary-key.js'
import type { TerminationTarget } from '../diagnose/terminate.js'
import { truncate } from '../util/describe-value.js'
import { formatDuration } from '../util/duration.js'
import { plural } from '../util/plural.js'
import { colors, mark, table } from './output.js'

/** Query text shown in tables. */
const QUERY_WIDTH = 70

function seconds(value: number | null): string {
  return value === null ? '' : formatDuration(Math.round(value * 1000))
}

function sessionLine(session: SessionInfo): string {
  const open =
    session.transactionSeconds === null ? '' : ` · transaction open ${seconds(session.transactionSeconds)}`
  return `pid ${session.pid}  ${session.user ?? '?'}${session.application ? ` (${session.application})` : ''} · ${session.state ?? session.backendType}${open}`
}

/** The locks that matter: those on the relations its waiters wait for (all, when none match). */
function describeHolds(node: BlockingNode): string {
  const awaited = new Set(node.blocking.map((child) => child.waitingFor?.relation))
  const relevant = node.holds.filter((lock) => awaited.has(lock.relation))
  const shown = relevant.length > 0 ? relevant : node.holds
  return shown.map((lock) => `${lock.mode} on ${lock.relation}`).join(', ')
}

export function formatBlocking(report: BlockingReport): string {
  if (report.roots.length === 0) return `${mark.ok()} no session is waiting for another's lock`
  const lines = [
    `${mark.fail()} ${plural(report.waiting, 'session')} waiting behind ${plural(report.roots.length, 'blocking session')}`,
    '',
  ]
  const walk = (node: BlockingNode, indent: string, branch: string) => {
    const waiting =
      node.waitSeconds === null
        ? ''
        : ` · waiting ${seconds(node.waitSeconds)} for ${node.waitingFor ? `${node.waitingFor.mode} on ${node.waitingFor.relation}` : (node.session.waitEvent ?? 'a lock')}`
    lines.push(`${indent}${branch}${sessionLine(node.session)}${waiting}`)
    const inner = indent + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ')
    if (node.holds.length > 0 && node.blocking.length > 0)
      lines.push(`${inner}  holds  ${describeHolds(node)}`)
    if (node.alsoBlockedBy.length > 0)
      lines.push(`${inner}  also waits for pid ${node.alsoBlockedBy.join(', ')}`)
    lines.push(`${inner}  query  ${truncate(node.session.query, QUERY_WIDTH + 20)}`)
    for (const [index, child] of node.blocking.entries())
      walk(child, inner, index === node.blocking.length - 1 ? '└─ ' : '├─ ')
  }
  for (const root of report.roots) {
    walk(root, '', '')
    lines.push('')
  }
  const pids = report.roots.map((root) => root.session.pid)
  lines.push(
    `To end ${pids.length === 1 ? 'the blocking session' : 'a blocking session'} (its transaction rolls back): strata diagnose terminate ${pids[0]}`,
  )
  return lines.join('\n')
}

export function formatLocks(result: { table: string | undefined; locks: LockRow[] }): string {
  const where = result.table === undefined ? '' : ` on ${result.table}`
  if (result.locks.length === 0) return `${mark.ok()} no locks held by other sessions${where}`
  const waiting = result.locks.filter((lock) => !lock.granted).length
  const rows = [
    ['pid', 'object', 'mode', 'granted', 'waiting', 'state', 'xact', 'query'],
    ...result.locks.map((lock) => [
      String(lock.pid),
      lock.object,
      lock.mode,
      lock.granted ? 'yes' : colors.red('no'),
      seconds(lock.waitSeconds),
      lock.state ?? '',
      seconds(lock.transactionSeconds),
      truncate(lock.query, QUERY_WIDTH),
    ]),
  ]
  return `${plural(result.locks.length, 'lock')}${where}, ${waiting} waiting\n${table(rows)}`
}

export function formatActivity(report: ActivityReport): string {
  const states = Object.entries(report.byState)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ')
  const lines = [`Client sessions: ${states || (report.hidden > 0 ? 'none visible' : 'none')}`]
  if (report.hidden > 0)
    lines.push(
      `${mark.warn()} ${plural(report.hidden, 'session')} of other roles in this database, whose state and query this role may not read: grant it pg_read_all_stats (or run as a superuser) to see them`,
    )
  if (report.sessions.length > 0) {
    const flag = (session: SessionInfo) =>
      report.longRunning.includes(session.pid)
        ? colors.red('long query')
        : report.idleInTransaction.includes(session.pid)
          ? colors.red('idle in tx')
          : ''
    lines.push(
      table([
        ['pid', 'user', 'state', 'query time', 'xact time', 'wait', 'flag', 'query'],
        ...report.sessions.map((session) => [
          String(session.pid),
          session.user ?? '',
          session.state ?? '',
          seconds(session.querySeconds),
          seconds(session.transactionSeconds),
          session.waitEvent ?? '',
          flag(session),
          truncate(session.query, QUERY_WIDTH),
        ]),
      ]),
    )
  }
  const over = `longer than ${report.thresholdSeconds}s`
  if (report.longRunning.length > 0)
    lines.push(`${mark.warn()} ${plural(report.longRunning.length, 'query', 'queries')} running ${over}`)
  if (report.idleInTransaction.length > 0)
    lines.push(
      `${mark.warn()} ${plural(report.idleInTransaction.length, 'session')} idle in transaction ${over}: they hold their locks and keep vacuum from cleaning up`,
    )
  if (report.longRunning.length === 0 && report.idleInTransaction.length === 0)
    lines.push(`${mark.ok()} no ${report.hidden > 0 ? 'visible ' : ''}query or idle transaction ${over}`)
  return lines.join('\n')
}

export function formatSizes(report: SizeReport): string {
  const rows = [
    ['table', 'total', 'table', 'indexes', 'toast', 'rows (est.)', 'dead rows'],
    ...report.tables.map((size) => {
      // `~`: the catalog's page counts, as the table is locked (see the note below).
      const bytes = (value: number) => `${size.sizeEstimated ? '~' : ''}${prettySize(value)}`
      return [
        tableLabel(size),
        bytes(size.totalBytes),
        bytes(size.tableBytes),
        bytes(size.indexBytes),
        bytes(size.toastBytes),
        size.estimatedRows === null ? 'not analysed' : Math.round(size.estimatedRows).toLocaleString('en-US'),
        size.deadRows === null ? '-' : Math.round(size.deadRows).toLocaleString('en-US'),
      ]
    }),
  ]
  const bloated = report.tables.filter(manyDeadRows)
  const deadNote = bloated
    .map(
      (size) =>
        `\n${mark.warn()} ${tableLabel(size)}: ${Math.round(size.deadRows!).toLocaleString('en-US')} dead rows (${Math.round((100 * size.deadRows!) / (size.deadRows! + (size.estimatedRows ?? 0)))}%), last vacuumed ${size.lastVacuum === null ? 'never' : size.lastVacuum}: left by a backfill or a large UPDATE or DELETE; autovacuum reclaims them in time, or now: VACUUM (ANALYZE) ${size.schema === 'public' ? '' : `${sqlIdent(size.schema)}.`}${sqlIdent(size.table)}`,
    )
    .join('')
  const more = report.more > 0 ? `\n… and ${plural(report.more, 'smaller table')} (--limit to see more)` : ''
  const locked = report.tables.filter((size) => size.sizeEstimated)
  const lockedNote =
    locked.length === 0
      ? ''
      : `\n~ ${locked.map((size) => size.table).join(', ')}: a session holds or awaits ACCESS EXCLUSIVE on ${locked.length === 1 ? 'it' : 'them'}, so the sizes are the catalog's as of the last VACUUM or ANALYZE (measuring would wait behind the lock; strata diagnose blocking shows who holds it)`
  return `Database ${report.database}: ${prettySize(report.databaseBytes)}\n${report.tables.length === 0 ? 'no tables' : table(rows)}${more}${lockedNote}${deadNote}`
}

/**
 * Dead rows worth a word: at least 10,000 and a fifth of the table, the point past which
 * autovacuum (20% by default) should have come by; fewer is ordinary churn.
 */
function manyDeadRows(size: TableSize): boolean {
  const dead = size.deadRows ?? 0
  return dead >= 10_000 && dead >= 0.2 * (dead + (size.estimatedRows ?? 0))
}

export function formatIndexes(report: IndexReport): string {
  const lines = [
    `Index usage${report.statsSince ? ` (statistics since ${report.statsSince})` : ''}:`,
    report.indexes.length === 0
      ? 'no indexes'
      : table([
          ['index', 'table', 'scans', 'tuples read', 'size', 'note'],
          ...report.indexes.map((index) => [
            index.index,
            tableLabel(index),
            index.scans.toLocaleString('en-US'),
            index.tuplesRead.toLocaleString('en-US'),
            prettySize(index.bytes),
            [
              index.valid ? '' : colors.red('INVALID'),
              index.constraint ? 'constraint' : index.unique ? 'unique' : '',
              index.foreignKey === null ? '' : `for foreign key ${index.foreignKey}`,
              index.partOf === null ? '' : `part of ${index.partOf}`,
              report.unused.includes(index) ? 'unused' : '',
              report.redundant.find((entry) => entry.index === index)
                ? `redundant (${report.redundant.find((entry) => entry.index === index)!.coveredBy.index})`
                : '',
            ]
              .filter(Boolean)
              .join(', '),
          ]),
        ]),
  ]
  lines.push(
    `${report.invalid.length > 0 ? mark.fail() : mark.ok()} ${plural(report.invalid.length, 'invalid index', 'invalid indexes')}, ${plural(report.unused.length, 'unused index', 'unused indexes')}, ${plural(report.redundant.length, 'redundant index', 'redundant indexes')}, ${plural(report.unindexedForeignKeys.length, 'foreign key', 'foreign keys')} without an index`,
  )
  if (report.lockedTables.length > 0)
    lines.push(
      `${mark.warn()} left out: the indexes of ${report.lockedTables.join(', ')}, as a session holds or awaits ACCESS EXCLUSIVE on ${report.lockedTables.length === 1 ? 'it' : 'them'} (reading their definitions would wait behind it; strata diagnose blocking shows who)`,
    )
  if (report.fixes.length > 0)
    lines.push(
      'Fixes (each takes only a SHARE UPDATE EXCLUSIVE lock):',
      ...report.fixes.map((fix) => `  ${fix}`),
    )
  lines.push(
    ...withoutPrimaryKeyLines(report.withoutPrimaryKey),
    ...sequentialScanLines(report.sequentialScans),
  )
  return lines.join('\n')
}

function withoutPrimaryKeyLines(tables: IndexReport['withoutPrimaryKey']): string[] {
  if (tables.length === 0) return [`${mark.ok()} every table has a primary key`]
  return [
    `${mark.warn()} ${plural(tables.length, 'table')} without a primary key: logical replication cannot replicate ${tables.length === 1 ? 'its' : 'their'} UPDATEs and DELETEs (unless REPLICA IDENTITY FULL), duplicate rows go unseen, and op.backfill and op.changeColumnType need a key given to them`,
    ...tables.map((table) => {
      const name = tableLabel(table)
      const rows =
        table.rows < 0 ? 'never analysed' : `~${Math.round(table.rows).toLocaleString('en-US')} rows`
      const identity = table.replicaIdentity === 'full' ? '; REPLICA IDENTITY FULL' : ''
      const fix =
        primaryKeyFix(table) ??
        `no unique NOT NULL key to promote: a migration adds one, e.g. ALTER TABLE ${quoteQualified(table.schema, table.table)} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY (rewrites the table under ACCESS EXCLUSIVE: in a quiet hour if it is large)`
      return `  ${name} (${prettySize(table.bytes)}, ${rows}${identity}): ${fix}`
    }),
  ]
}

function sequentialScanLines(tables: IndexReport['sequentialScans']): string[] {
  if (tables.length === 0) return []
  return [
    `${mark.warn()} ${plural(tables.length, 'table')} read mostly by sequential scans of many rows: a query filtering or joining ${tables.length === 1 ? 'it' : 'them'} may lack an index (\`strata diagnose slow\` shows the queries)`,
    ...tables.map((table) => {
      const name = tableLabel(table)
      const each = Math.round(table.rowsRead / table.sequentialScans).toLocaleString('en-US')
      return `  ${name} (${prettySize(table.bytes)}): ${table.sequentialScans.toLocaleString('en-US')} sequential scans read ${table.rowsRead.toLocaleString('en-US')} rows (~${each} each); ${table.indexScans.toLocaleString('en-US')} index scans`
    }),
  ]
}

export function formatSlow(report: SlowQueryReport): string {
  if (!report.available)
    return `${mark.warn()} slow queries unavailable: ${report.reason}\n${report.fix.map((line) => `  ${line}`).join('\n')}`
  if (report.queries.length === 0)
    return `${mark.ok()} pg_stat_statements has recorded no statements in this database yet`
  return table([
    ['total', 'calls', 'mean', 'max', 'rows', 'share', 'query'],
    ...report.queries.map((query) => [
      `${query.totalMs.toFixed(1)} ms`,
      query.calls.toLocaleString('en-US'),
      `${query.meanMs.toFixed(2)} ms`,
      `${query.maxMs.toFixed(1)} ms`,
      query.rows.toLocaleString('en-US'),
      `${(query.share * 100).toFixed(1)}%`,
      truncate(query.query, QUERY_WIDTH),
    ]),
  ])
}

export function formatTermination(target: TerminationTarget): string {
  const { session } = target
  return [
    sessionLine(session),
    `  client  ${session.client ?? 'local socket'}`,
    `  query   ${truncate(session.query, QUERY_WIDTH + 30)}`,
    target.holds.length > 0
      ? `  holds   ${target.holds.map((lock) => `${lock.mode} on ${lock.relation}`).join(', ')}`
      : '',
    target.blocking.length > 0 ? `  blocks  pid ${target.blocking.join(', ')}` : '',
    session.transactionSeconds !== null
      ? `  its open transaction (${seconds(session.transactionSeconds)}) will be rolled back`
      : '',
  ]
    .filter(Boolean)
    .join('\n')
}

/** A table as the reports name it: bare in the public schema, `schema.table` elsewhere. */
function tableLabel(relation: { readonly schema: string; readonly table: string }): string {
  return relation.schema === 'public' ? relation.table : `${relation.schema}.${relation.table}`
}

export function formatReplication(report: ReplicationReport): string {
  const lines: string[] = []
  const standby = report.standby
  if (standby !== undefined) {
    const receiving =
      standby.receiver === undefined
        ? 'no WAL receiver (recovering from the archive, or the primary is unreachable)'
        : `WAL receiver ${standby.receiver}${standby.senderHost ? ` from ${standby.senderHost}` : ''}`
    lines.push(
      `This server is a standby: ${receiving}; ${standby.replayPaused ? colors.red('replay PAUSED') : 'replaying'}` +
        `${standby.unappliedBytes === undefined ? '' : `, ${prettySize(standby.unappliedBytes)} received and not yet applied`}` +
        `${standby.lastReplayedSecondsAgo === undefined ? '' : `; the last transaction applied was committed ${seconds(standby.lastReplayedSecondsAgo)} ago`}`,
    )
    if (standby.replayPaused) lines.push('  resume with: SELECT pg_wal_replay_resume()')
    lines.push('')
  }
  if (report.replicas.length === 0 && report.hiddenReplicas === 0)
    lines.push('No replicas stream from this server.')
  else if (report.replicas.length > 0)
    lines.push(
      table([
        ['replica', 'state', 'behind (WAL to apply)'],
        ...report.replicas.map((replica) => [
          replica.name,
          replica.state,
          replica.lagBytes === undefined ? '' : prettySize(replica.lagBytes),
        ]),
      ]),
    )
  if (report.hiddenReplicas > 0)
    lines.push(
      `${plural(report.hiddenReplicas, 'replica')} whose position this role may not see (GRANT pg_monitor to see it)`,
    )
  lines.push('')
  if (report.slots === undefined) lines.push('Replication slots: not readable by this role')
  else if (report.slots.length === 0) lines.push('No replication slots.')
  else
    lines.push(
      table([
        ['slot', 'type', 'active', 'WAL kept', 'status'],
        ...report.slots.map((slot) => [
          slot.name,
          slot.type,
          slot.active ? 'yes' : colors.red('no'),
          slot.retainedBytes === null ? '' : prettySize(slot.retainedBytes),
          slot.walStatus ?? '',
        ]),
      ]),
    )
  return lines.join('\n')
}
