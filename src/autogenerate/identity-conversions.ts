import { quoteLiteral, sqlIdent } from '../db/quote.js'
import type { CatalogSnapshot } from '../health/drift/catalog-snapshot.js'
import { memberOf, relationName, tableOf } from './object-names.js'
import { sequenceOptions } from './table-ddl.js'

// A serial column made an identity, or the reverse. Each has its own sequence, and the
// new one would start at 1 under rows that already hold its values: the next insert
// would fail on the key. The new sequence takes over the old one's position, and the
// old one's name, so that the schema comes out as the other side's.

/** A kept column that changes between serial and identity, and the sequences involved. */
export interface SequenceHandover {
  /** `schema.table.column` */
  readonly column: string
  /** The sequence that serves it now, in `from`. */
  readonly old: string
  /** The sequence that serves it afterwards, in `to`. */
  readonly new: string
  readonly toIdentity: boolean
}

export function sequenceHandovers(
  from: CatalogSnapshot,
  to: CatalogSnapshot,
  inBoth: (table: string) => boolean,
): SequenceHandover[] {
  const sequenceOf = (snapshot: CatalogSnapshot, column: string, identity: boolean) =>
    [...snapshot.sequenceOwners].find(
      ([, owner]) => owner.column === column && owner.identity === identity,
    )?.[0]
  const handovers: SequenceHandover[] = []
  for (const [column, after] of to.columns) {
    const before = from.columns.get(column)
    if (before === undefined || !inBoth(tableOf(column))) continue
    const toIdentity = before.identity === '' && after.identity !== ''
    const toSerial = before.identity !== '' && after.identity === ''
    if (!toIdentity && !toSerial) continue
    const old = sequenceOf(from, column, toSerial)
    const next = sequenceOf(to, column, toIdentity)
    if (old !== undefined && next !== undefined) handovers.push({ column, old, new: next, toIdentity })
  }
  return handovers
}

/**
 * The statements, after the column's default is dropped (to identity) or before its new
 * one is set (to serial): the new sequence made, set to where the old one was, the old
 * one gone, the name carried over.
 */
export function handoverStatements(handover: SequenceHandover, to: CatalogSnapshot): string[] {
  const table = relationName(tableOf(handover.column))
  const column = sqlIdent(memberOf(handover.column))
  const old = relationName(handover.old)
  const kept = `${memberOf(handover.old)}_strata_old`.slice(0, 63)
  const keptName = relationName(`${tableOf(handover.old)}.${kept}`)
  if (handover.toIdentity) {
    const always = to.columns.get(handover.column)?.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'
    return [
      // Its own no more, so that pg_get_serial_sequence finds only the identity's.
      `ALTER SEQUENCE ${old} OWNED BY NONE;`,
      `ALTER SEQUENCE ${old} RENAME TO ${sqlIdent(kept)};`,
      `ALTER TABLE ${table} ALTER COLUMN ${column} ADD GENERATED ${always} AS IDENTITY;`,
      `SELECT setval(pg_get_serial_sequence(${quoteLiteral(table)}, ${quoteLiteral(memberOf(handover.column))}), last_value, is_called) FROM ${keptName};`,
      `DROP SEQUENCE ${keptName};`,
    ]
  }
  const made = `${memberOf(handover.new)}_strata_new`.slice(0, 63)
  const madeName = relationName(`${tableOf(handover.new)}.${made}`)
  return [
    `CREATE SEQUENCE ${madeName} ${sequenceOptions(to.sequences.get(handover.new) ?? '')};`,
    `SELECT setval(${quoteLiteral(madeName)}, last_value, is_called) FROM ${old};`,
    `ALTER TABLE ${table} ALTER COLUMN ${column} DROP IDENTITY;`,
    `ALTER SEQUENCE ${madeName} RENAME TO ${sqlIdent(memberOf(handover.new))};`,
    `ALTER SEQUENCE ${relationName(handover.new)} OWNED BY ${table}.${column};`,
  ]
}
