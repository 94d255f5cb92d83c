import { quoteIdent } from './quote.js'

/**
 * The two statements that give one partition its part of a partitioned index, as advice:
 * `CREATE INDEX CONCURRENTLY <name>_<partition> ON <partition> <keys>;`, then
 * `ALTER INDEX <parentIndex> ATTACH PARTITION ...;`. `partition` as `::regclass` prints it
 * (quoted where needed, schema-qualified off the search path); the new index lives in the
 * partition's schema, so the ATTACH names it there.
 */
export function partitionIndexSteps(
  parentIndex: string,
  name: string,
  partition: string,
  keys: string,
): [string, string] {
  const dot = partition.lastIndexOf('.')
  const schema = dot === -1 ? '' : partition.slice(0, dot + 1)
  const partitionIndex = quoteIdent(`${name}_${partition.slice(dot + 1).replace(/"/g, '')}`.slice(0, 63))
  return [
    `CREATE INDEX CONCURRENTLY ${partitionIndex} ON ${partition} ${keys};`,
    `ALTER INDEX ${parentIndex} ATTACH PARTITION ${schema}${partitionIndex};`,
  ]
}
