import type { MigrationPhase } from '../graph/migration.js'
import type { AnalysedStatement } from './analysed-statement.js'
import { CHANGE_CLASSES, type Change, type ChangeClass } from './effects.js'
import { lockRank } from './lock-modes.js'
import type { Level } from './rules/index.js'
import type { TableFacts } from './schema-model.js'

export type Downtime = 'none' | 'minimal' | 'required'
export type Risk = 'low' | 'medium' | 'high'

/** The guide's migration types table, and why this migration is what it is. */
export interface Classification {
  readonly class: ChangeClass
  readonly downtime: Downtime
  readonly risk: Risk
  /** One line: "breaking: drops column users.old_column that the previous release may still read". */
  readonly reason: string
}

/** The guide's table: type → downtime and risk, before the lock analysis adjusts them. */
const BASELINE: Record<ChangeClass, { downtime: Downtime; risk: Risk }> = {
  additive: { downtime: 'none', risk: 'low' },
  'backward compatible': { downtime: 'none', risk: 'low' },
  'data transformation': { downtime: 'minimal', risk: 'medium' },
  breaking: { downtime: 'required', risk: 'high' },
}

/** The class of a migration: the most disruptive change among its statements. */
export function changeClassOf(statements: readonly AnalysedStatement[]): {
  class: ChangeClass
  change: Change | undefined
} {
  let strongest: Change | undefined
  let strongestRank = -1
  // Indexed loops: this runs once per migration in a cold CLI process, where `for...of`
  // allocates an iterator and a result object per step.
  for (let s = 0; s < statements.length; s++) {
    const { effects } = statements[s]!
    // Among changes of one class, the reason names what touches the data first: a drop
    // of data, then a change to a table in use, then the rest (a function a trigger
    // calls), so that a contract step reads "drops column users.name", not the function.
    const weight = effects.destroys.length > 0 ? 2 : effects.locks.some((lock) => lock.existing) ? 1 : 0
    const changes = effects.changes
    for (let c = 0; c < changes.length; c++) {
      const rank = CHANGE_CLASSES.indexOf(changes[c]!.class) * 3 + weight
      if (rank > strongestRank) {
        strongest = changes[c]
        strongestRank = rank
      }
    }
  }
  // A migration of only SET/BEGIN/SELECT changes nothing anyone can see.
  return { class: strongest?.class ?? 'additive', change: strongest }
}

/**
 * Starts from the guide's table and lets the lock model raise it: a statement that
 * blocks traffic while it rewrites, scans or indexes a table with rows means at least
 * minimal downtime and medium risk; a big table (connected mode) means downtime is
 * required; an error-level finding makes the risk high.
 */
export function classify(
  statements: readonly AnalysedStatement[],
  findingLevels: readonly Level[],
  facts: (table: string) => TableFacts | undefined,
  /** What keeps the analysis from seeing all of it ("part of it cannot be analysed offline"). */
  incomplete: string | undefined,
  phase?: MigrationPhase,
): Classification {
  const { class: changeClass, change } = changeClassOf(statements)
  let { downtime, risk } = BASELINE[changeClass]
  const details: string[] = []
  // The guide's way to make a breaking change without downtime: a contract step runs
  // once no instance of the previous release is left to read what it removes. The
  // change stays breaking (and risky: a rollback cannot bring the data back); its
  // locks below still raise the downtime when it rewrites or scans under them.
  if (changeClass === 'breaking' && phase === 'contract') {
    downtime = 'none'
    details.push('no downtime as a contract step, run once no instance of that release is left')
  }
  const blocking = blockingWork(statements)
  if (blocking) {
    downtime = maxOf(['none', 'minimal', 'required'], downtime, 'minimal')
    risk = maxOf(['low', 'medium', 'high'], risk, 'medium')
    const size = facts(blocking.table)
    const big = size !== undefined && (size.sizeBytes > 1024 ** 3 || size.rows > 10_000_000)
    if (big) downtime = 'required'
    details.push(
      `${blocking.what} ${blocking.table} under ${blocking.mode}${size ? ` (${describeSize(size)})` : ''}`,
    )
  }
  if (findingLevels.includes('error')) risk = 'high'
  if (incomplete !== undefined) {
    risk = maxOf(['low', 'medium', 'high'], risk, 'medium')
    details.push(incomplete)
  }
  const reason = [change?.text ?? 'changes nothing in the schema', ...details].join('; ')
  return { class: changeClass, downtime, risk, reason: `${changeClass}: ${reason}` }
}

/** What each kind of heavy work on a table is called in the reason, in the order reported. */
const HEAVY_WORK = [
  { list: 'rewrites', what: 'rewrites' },
  { list: 'scans', what: 'scans' },
  { list: 'indexBuilds', what: 'builds an index on' },
] as const

/** The first rewrite, scan or index build of an existing table under a lock that blocks writes. */
function blockingWork(
  statements: readonly AnalysedStatement[],
): { what: string; table: string; mode: string } | undefined {
  for (let s = 0; s < statements.length; s++) {
    const { effects } = statements[s]!
    for (let h = 0; h < HEAVY_WORK.length; h++) {
      const { list, what } = HEAVY_WORK[h]!
      const works = effects[list]
      for (let w = 0; w < works.length; w++) {
        const work = works[w]!
        if (!work.existing) continue
        const lock = effects.locks.find((l) => l.table === work.table)
        if (lock && lockRank(lock.mode) >= lockRank('SHARE'))
          return { what, table: work.table, mode: lock.mode }
      }
    }
  }
  return undefined
}

function maxOf<T extends string>(order: readonly T[], a: T, b: T): T {
  return order.indexOf(a) >= order.indexOf(b) ? a : b
}

/** "12 GB, ~40 million rows" */
export function describeSize(facts: TableFacts): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB']
  let size = facts.sizeBytes
  let unit = 0
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024
    unit++
  }
  const measured = `${unit === 0 ? size : size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`
  const bytes = facts.sizeEstimated
    ? `~${measured} by the catalog, as another session holds or awaits ACCESS EXCLUSIVE on it now`
    : measured
  if (facts.rows < 0) return `${bytes}, rows unknown: never analysed`
  if (facts.rowsCounted)
    return `${bytes}, ${facts.rows.toLocaleString('en-US')} ${facts.rows === 1 ? 'row' : 'rows'}`
  const rows =
    facts.rows >= 1_000_000
      ? `~${(facts.rows / 1_000_000).toFixed(facts.rows < 10_000_000 ? 1 : 0)} million rows`
      : `~${Math.round(facts.rows).toLocaleString('en-US')} rows`
  return `${bytes}, ${rows}${facts.rowsPlanned ? ' (never analysed: estimated from its size)' : ''}`
}
