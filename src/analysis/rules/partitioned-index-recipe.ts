import { partitionObjectName, sqlIdent } from './fix-names.js'

/** `ON [ONLY] <table>` with the table written as any SQL name (schema-qualified, quoted). */
const ON_TABLE = /\bON\s+(?:ONLY\s+)?((?:"(?:[^"]|"")*"|[^\s("]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s("]+))?)/i
/** `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name]` up to ON. */
const HEAD =
  /^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+(?:CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?(?:(?!ON\s)\S+\s+)?/i

/**
 * How an index gets onto a partitioned table without blocking writes, since PostgreSQL
 * cannot build one there CONCURRENTLY: the partitioned table's own index ON ONLY (no
 * build, invalid for now), each partition's built CONCURRENTLY, then attached; the
 * parent's index becomes valid when the last one is. `sql` is the CREATE INDEX as
 * written; `partitions` the known ones (a placeholder line when none are).
 */
export function partitionedIndexRecipe(
  sql: string,
  table: string,
  indexName: string | undefined,
  partitions: readonly string[],
): string {
  const parentName = indexName ?? 'ix_name'
  // An index lives in its table's schema; ALTER INDEX finds it there only by a qualified name.
  const qualified = (onTable: string, name: string) =>
    onTable.includes('.') && !onTable.startsWith('<')
      ? `${onTable.slice(0, onTable.lastIndexOf('.'))}.${name}`
      : name
  const parentIndex = qualified(table, sqlIdent(parentName))
  /** The statement as written, under another name, with or without CONCURRENTLY, on `onTable`. */
  const rewrite = (name: string, concurrently: boolean, onTable: string) =>
    `${sql
      .replace(
        HEAD,
        (_all, create: string, ifNotExists: string | undefined) =>
          `${create} ${concurrently ? 'CONCURRENTLY ' : ''}${ifNotExists ?? ''}${name} `,
      )
      .replace(ON_TABLE, () => `ON ${onTable}`)
      .replace(/;?\s*$/, '')};`
  const partitionIndex = (partition: string) => partitionObjectName(parentName, partition)
  const build = (partition: string) => rewrite(partitionIndex(partition), true, partition)
  const attach = (partition: string) =>
    `ALTER INDEX ${parentIndex} ATTACH PARTITION ${qualified(partition, partitionIndex(partition))};`
  const ownTable = ON_TABLE.exec(sql)?.[1] ?? table
  const lines = [
    `${rewrite(sqlIdent(parentName), false, `ONLY ${ownTable}`)}  -- the partitioned table's own index: no build, invalid until every partition's is attached`,
  ]
  if (partitions.length === 0) {
    lines.push(
      `${build('<partition>')}  -- for each partition, in a migration with transactional: false`,
      attach('<partition>'),
    )
  } else {
    lines.push(...partitions.map(build), ...partitions.map(attach))
    lines.push(
      `-- the CONCURRENTLY builds in a migration with transactional: false; ${parentIndex} is valid once all ${partitions.length} are attached`,
    )
  }
  return lines.join('\n')
}
