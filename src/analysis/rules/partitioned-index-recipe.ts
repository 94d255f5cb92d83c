import { sqlIdent, tableBaseName } from './fix-names.js'

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
  const rest = (partitionSql: string, name: string) =>
    partitionSql.replace(
      HEAD,
      (_all, create: string, ifNotExists: string | undefined) =>
        `${create} __HEAD__${ifNotExists ?? ''}${name} `,
    )
  const parent = rest(sql, sqlIdent(parentName))
    .replace('__HEAD__', '')
    .replace(ON_TABLE, (_all, table: string) => `ON ONLY ${table}`)
  const perPartition = (partition: string) => {
    const name = sqlIdent(`${parentName}_${tableBaseName(partition).replace(/"/g, '')}`.slice(0, 63))
    return {
      build: rest(sql, name)
        .replace('__HEAD__', 'CONCURRENTLY ')
        .replace(ON_TABLE, () => `ON ${partition}`),
      attach: `ALTER INDEX ${parentIndex} ATTACH PARTITION ${qualified(partition, name)};`,
    }
  }
  const lines = [
    `${parent.replace(/;?\s*$/, ';')}  -- the partitioned table's own index: no build, invalid until every partition's is attached`,
  ]
  if (partitions.length === 0) {
    lines.push(
      `${perPartition('<partition>').build.replace(/;?\s*$/, ';')}  -- for each partition, in a migration with transactional: false`,
      `${perPartition('<partition>').attach}`,
    )
  } else {
    for (const partition of partitions) lines.push(perPartition(partition).build.replace(/;?\s*$/, ';'))
    for (const partition of partitions) lines.push(perPartition(partition).attach)
    lines.push(
      `-- the CONCURRENTLY builds in a migration with transactional: false; ${sqlIdent(parentName)} is valid once all ${partitions.length} are attached`,
    )
  }
  return lines.join('\n')
}
