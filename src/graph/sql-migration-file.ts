import { InvalidMigrationError } from '../errors/index.js'
import { closestMatch, didYouMean } from '../util/closest-match.js'
import { parseDuration, timeoutOutOfRange } from '../util/duration.js'
import type { MigrationMeta, MigrationPhase } from './migration.js'
import { type SqlStatement, splitStatements } from './split-statements.js'

const HEADER_KEYS = [
  'revision',
  'down_revision',
  'message',
  'branch_labels',
  'depends_on',
  'transactional',
  'phase',
  'lock_timeout',
  'statement_timeout',
  'lock_retries',
  'create_date',
] as const
const PHASES: readonly MigrationPhase[] = ['expand', 'migrate', 'contract']

/**
 * The labels of Alembic's docstring (`Revision ID: abc`, `Revises: 123`, `Create Date:
 * ...`), which a team moving from Alembic writes at the top of its first SQL migrations.
 */
const ALEMBIC_LABELS: Readonly<Record<string, (typeof HEADER_KEYS)[number]>> = {
  'revision id': 'revision',
  revises: 'down_revision',
  'create date': 'create_date',
}

/** The parsed body of an SQL migration: statements of each direction, with their lines. */
export interface SqlMigrationBody {
  readonly up: readonly SqlStatement[]
  readonly down: readonly SqlStatement[] | undefined
}

/**
 * Reads the `-- key: value` header and the `-- migrate:up` / `-- migrate:down`
 * sections of an SQL migration (DESIGN.md §4).
 */
export function parseSqlMigration(
  text: string,
  file: string,
  checksum: string,
): { meta: MigrationMeta; body: SqlMigrationBody } {
  const lines = text.split('\n')
  const header = new Map<string, { value: string; line: number }>()
  let upLine: number | undefined
  let downLine: number | undefined
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    const marker = /^--\s*migrate:(up|down)\s*$/i.exec(line)
    if (marker) {
      if (marker[1]!.toLowerCase() === 'up') {
        if (upLine !== undefined) throw invalid(file, index + 1, 'a second "-- migrate:up" section')
        upLine = index + 1
      } else {
        if (downLine !== undefined) throw invalid(file, index + 1, 'a second "-- migrate:down" section')
        downLine = index + 1
      }
      continue
    }
    if (upLine !== undefined || downLine !== undefined) continue
    // Suppressions for `strata check` live in the header too; they are not header keys.
    if (/^--\s*strata:allow\b/i.test(line)) continue
    const entry = /^--\s*(revision id|create date|[A-Za-z_]+)\s*:\s*(.*)$/i.exec(line)
    if (!entry) continue
    const label = entry[1]!.toLowerCase()
    const key = ALEMBIC_LABELS[label] ?? label
    if (!(HEADER_KEYS as readonly string[]).includes(key)) {
      // `-- TODO: ...`, `-- Author: ...`: a comment. Only a near miss of a key is taken
      // for the key it was meant to be, which would otherwise be silently missing.
      if (closestMatch(key, HEADER_KEYS) === undefined) continue
      throw invalid(
        file,
        index + 1,
        `unknown header key "${key}".${didYouMean(key, HEADER_KEYS)}`,
        `valid keys: ${HEADER_KEYS.join(', ')}`,
      )
    }
    header.set(key, { value: entry[2]!.trim(), line: index + 1 })
  }
  if (upLine === undefined) {
    throw invalid(
      file,
      lines.length,
      'no "-- migrate:up" section',
      'put the upgrade SQL after a line "-- migrate:up"',
    )
  }
  if (downLine !== undefined && downLine < upLine) {
    throw invalid(file, downLine, '"-- migrate:down" comes before "-- migrate:up"')
  }
  const revision = header.get('revision')
  if (revision === undefined || revision.value === '') {
    throw invalid(
      file,
      1,
      'no "-- revision: ID" header line',
      'add "-- revision: <12 hex characters>" at the top',
    )
  }
  const list = (key: string) =>
    (header.get(key)?.value ?? '')
      .split(',')
      .map((item) => item.trim())
      // `<base>`: how Alembic's docstring (and Strata's TypeScript template) says none.
      .filter((item) => item !== '' && !/^(none|null|<base>)$/i.test(item))
  const transactionalText = header.get('transactional')
  let transactional = true
  if (transactionalText !== undefined) {
    if (!/^(true|false)$/i.test(transactionalText.value)) {
      throw invalid(
        file,
        transactionalText.line,
        `transactional must be true or false, found "${transactionalText.value}"`,
      )
    }
    transactional = transactionalText.value.toLowerCase() === 'true'
  }
  const phaseEntry = header.get('phase')
  if (phaseEntry !== undefined && !(PHASES as readonly string[]).includes(phaseEntry.value)) {
    throw invalid(
      file,
      phaseEntry.line,
      `phase must be one of ${PHASES.join(', ')}, found "${phaseEntry.value}"`,
    )
  }
  const duration = (key: string): number | undefined => {
    const entry = header.get(key)
    if (entry === undefined) return undefined
    const ms = parseDuration(entry.value)
    if (ms === undefined)
      throw invalid(file, entry.line, `${key} must be a duration such as 5s or 500ms, found "${entry.value}"`)
    const tooLong = timeoutOutOfRange(ms)
    if (tooLong !== undefined) throw invalid(file, entry.line, `${key} ${entry.value} is ${tooLong}`)
    return ms
  }
  const retriesEntry = header.get('lock_retries')
  if (retriesEntry !== undefined && !/^\d+$/.test(retriesEntry.value)) {
    throw invalid(
      file,
      retriesEntry.line,
      `lock_retries must be a whole number, found "${retriesEntry.value}"`,
    )
  }
  const upText = lines.slice(upLine, downLine === undefined ? lines.length : downLine - 1).join('\n')
  const up = splitStatements(upText, upLine + 1)
  const down =
    downLine === undefined ? undefined : splitStatements(lines.slice(downLine).join('\n'), downLine + 1)
  return {
    meta: {
      revision: revision.value,
      downRevisions: list('down_revision'),
      branchLabels: list('branch_labels'),
      dependsOn: list('depends_on'),
      message: header.get('message')?.value ?? '',
      transactional,
      phase: phaseEntry?.value as MigrationPhase | undefined,
      file,
      format: 'sql',
      checksum,
      hasDowngrade: down !== undefined && down.length > 0,
      createDate: header.get('create_date')?.value,
      lockTimeout: duration('lock_timeout'),
      statementTimeout: duration('statement_timeout'),
      lockRetries: retriesEntry === undefined ? undefined : Number(retriesEntry.value),
    },
    body: { up, down },
  }
}

function invalid(file: string, line: number, problem: string, hint?: string): InvalidMigrationError {
  return new InvalidMigrationError(`${file}:${line}: ${problem}`, {
    where: `${file}:${line}`,
    ...(hint ? { hint } : {}),
  })
}
