import type pg from 'pg'
import { SEQUENCE_OWNER_JOIN } from '../db/catalog-filters.js'
import { quoteIdent, quoteQualified } from '../db/quote.js'
import { plural } from '../util/plural.js'
import type { CheckOutcome } from './check-result.js'

/** The largest value each integer column type can hold. */
const TYPE_MAX: Readonly<Record<string, bigint>> = {
  smallint: 32767n,
  integer: 2147483647n,
  bigint: 9223372036854775807n,
}

interface SequenceRow {
  schema: string
  name: string
  data_type: string
  last_value: string | null
  min_value: string
  max_value: string
  increment_by: string
  cycle: boolean
  table: string | null
  column: string | null
  column_type: string | null
  readable: boolean
}

interface KeyRow {
  schema: string
  table: string
  column: string
  column_type: string
  max: string | null
}

/** One counter and how much of its range is used. */
interface Usage {
  readonly label: string
  readonly used: number
  readonly remaining: bigint
  readonly fix: string
}

/**
 * "Sequences and integer keys not near exhaustion": each sequence's position against
 * the smaller of its own maximum and the maximum of the column it feeds (a bigint
 * sequence behind an `integer` column runs out at 2³¹−1), and each integer primary
 * key without a sequence against its type. Fails at `threshold` (a share, 0.8 = 80%).
 */
export async function checkSequenceCapacity(
  client: pg.ClientBase,
  schemas: readonly string[],
  threshold: number,
): Promise<CheckOutcome> {
  const sequences = await sequenceUsages(client, schemas)
  const usages = [...sequences.usages, ...(await keyUsages(client, schemas))]
  const unreadable = sequences.unreadable
  const near = usages.filter((usage) => usage.used >= threshold).sort((a, b) => b.used - a.used)
  const highest = [...usages].sort((a, b) => b.used - a.used)[0]
  const percent = (share: number) => `${(share * 100).toFixed(share >= 0.995 && share < 1 ? 2 : 1)}%`
  if (near.length === 0) {
    const summary =
      usages.length === 0
        ? 'no sequences or integer keys in use'
        : `${plural(usages.length, 'counter')} below ${percent(threshold)} (highest: ${highest!.label} at ${percent(highest!.used)})`
    if (unreadable.length === 0) return { status: 'ok', summary }
    // A sequence this role cannot read is a counter nobody checked: say so, do not pass it.
    return {
      status: 'warn',
      summary: `${summary}; ${plural(unreadable.length, 'sequence')} not readable by this role`,
      details: unreadable.map(
        (name) =>
          `${name}: no SELECT or USAGE privilege, so its position is unknown (GRANT SELECT ON SEQUENCE ${name} TO ..., or run verify as the owner)`,
      ),
    }
  }
  return {
    status: 'fail',
    summary: `${plural(near.length, 'counter')} at or above ${percent(threshold)} of its range`,
    details: near.map(
      (usage) =>
        `${usage.label}: ${percent(usage.used)} used, ${usage.remaining.toLocaleString('en-US')} values left. ${usage.fix}`,
    ),
  }
}

async function sequenceUsages(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<{ usages: Usage[]; unreadable: string[] }> {
  const result = await client.query<SequenceRow>(
    `SELECT s.schemaname AS schema, s.sequencename AS name, s.data_type::text, s.last_value::text,
            s.min_value::text, s.max_value::text, s.increment_by::text, s.cycle,
            t.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS column_type,
            has_sequence_privilege(sc.oid, 'SELECT') OR has_sequence_privilege(sc.oid, 'USAGE') AS readable
       FROM pg_sequences s
       ${SEQUENCE_OWNER_JOIN}
       LEFT JOIN pg_class t ON t.oid = d.refobjid
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE s.schemaname = ANY($1)`,
    [schemas],
  )
  const usages: Usage[] = []
  const unreadable: string[] = []
  for (const row of result.rows) {
    if (!row.readable) unreadable.push(`${row.schema}.${row.name}`)
    if (row.last_value === null || row.cycle) continue
    const ascending = BigInt(row.increment_by) > 0n
    let max = BigInt(row.max_value)
    let min = BigInt(row.min_value)
    const columnMax = row.column_type === null ? undefined : TYPE_MAX[row.column_type]
    if (columnMax !== undefined && columnMax < max) max = columnMax
    if (columnMax !== undefined && -columnMax - 1n > min) min = -columnMax - 1n
    const last = BigInt(row.last_value)
    const span = max - min
    if (span <= 0n) continue
    const consumed = ascending ? last - min : max - last
    const remaining = ascending ? max - last : last - min
    const target = row.table === null ? undefined : `${row.schema}.${row.table}.${row.column}`
    const columnLimited = columnMax !== undefined && columnMax < BigInt(row.max_value)
    const fix =
      target !== undefined && row.column_type !== 'bigint'
        ? `Widen ${target} to bigint before it runs out (a table rewrite: use the expand/contract recipe, not a plain ALTER COLUMN TYPE)${columnLimited ? '; the sequence itself could go further than the column' : ''}`
        : `ALTER SEQUENCE ${quoteQualified(row.schema, row.name)} AS bigint MAXVALUE 9223372036854775807, if the values it feeds are bigint`
    usages.push({
      label: `sequence ${row.schema}.${row.name}${target === undefined ? '' : ` (${target}, ${row.column_type})`}`,
      used: Number((consumed * 10000n) / span) / 10000,
      remaining,
      fix,
    })
  }
  return { usages, unreadable }
}

/** Integer single-column primary keys that no sequence feeds: their max() is read from the index. */
async function keyUsages(client: pg.ClientBase, schemas: readonly string[]): Promise<Usage[]> {
  const keys = await client.query<Omit<KeyRow, 'max'>>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS column_type
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = con.conkey[1]
      WHERE con.contype = 'p' AND array_length(con.conkey, 1) = 1 AND n.nspname = ANY($1)
        AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype) AND NOT con.conparentid <> 0
        AND a.attidentity = ''
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = c.oid AND d.refobjsubid = a.attnum
                          AND d.classid = 'pg_class'::regclass AND d.deptype = 'a')`,
    [schemas],
  )
  const usages: Usage[] = []
  for (const key of keys.rows) {
    const result = await client.query<{ max: string | null }>(
      `SELECT max(${quoteIdent(key.column)})::text AS max FROM ${quoteQualified(key.schema, key.table)}`,
    )
    const value = result.rows[0]!.max
    if (value === null) continue
    const max = TYPE_MAX[key.column_type]!
    const current = BigInt(value)
    usages.push({
      label: `key ${key.schema}.${key.table}.${key.column} (${key.column_type}, no sequence)`,
      used: current <= 0n ? 0 : Number((current * 10000n) / max) / 10000,
      remaining: max - current,
      fix: `Widen ${key.schema}.${key.table}.${key.column} to bigint before it runs out (expand/contract recipe)`,
    })
  }
  return usages
}
