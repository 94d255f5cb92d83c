import { tsString } from './fix-names.js'
import { partitionedIndexRecipe } from './partitioned-index-recipe.js'
import { defineRule, isExisting, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'create-index-not-concurrently',
  level: 'error',
  summary: 'CREATE INDEX without CONCURRENTLY blocks every write to the table for the whole build',
  examples: {
    flagged: ['CREATE INDEX ix_users_email ON users (email);'],
    accepted: [
      'CREATE INDEX CONCURRENTLY ix_users_email ON users (email);',
      'CREATE TABLE sessions (token text); CREATE INDEX ix_sessions_token ON sessions (token);',
      // The partitioned table's own index: no build.
      'CREATE INDEX ix_events_kind ON ONLY events (kind);',
    ],
  },
  check: perStatement(
    (statement) => {
      const index = statementOf(statement, 'IndexStmt')
      if (index === undefined || index.concurrent || statement.effects.indexBuilds.length === 0)
        return undefined
      const table = statement.effects.locks[0]?.table ?? '?'
      if (!isExisting(statement, table)) return undefined
      const partitions = statement.effects.partitions
      if (partitions !== undefined)
        return {
          statement,
          message: `builds ${index.idxname ? `index ${index.idxname}` : 'an index'} on the partitioned table ${table} and each of its partitions under SHARE locks: inserts, updates and deletes wait until every build finishes`,
          fix: partitionedIndexRecipe(statement.sql, table, index.idxname, partitions),
        }
      return {
        statement,
        message: `builds ${index.idxname ? `index ${index.idxname}` : 'an index'} on ${table} under a SHARE lock: inserts, updates and deletes wait until it finishes`,
        fix: [
          `${statement.sql.replace(/^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+/i, '$1 CONCURRENTLY ')}  -- in a migration with transactional: false`,
          `TS: export const transactional = false; await op.createIndex('${index.idxname ?? 'ix_name'}', '${table}', ${indexColumns(index)}, { ${index.unique ? 'unique: true, ' : ''}concurrently: true })`,
        ].join('\n'),
      }
    },
    ['IndexStmt'],
  ),
})

/**
 * The index's columns as the op call's list (`['email', 'created_at']`) when they are
 * all plain columns; `[...]` to fill in otherwise (expressions, a predicate, INCLUDE,
 * another method or sort order: the op call takes those as options).
 */
function indexColumns(index: any): string {
  const params: any[] = index.indexParams ?? []
  const names = params
    .map((param) => param.IndexElem)
    .map((elem) => (elem?.name && !elem.expr && !elem.ordering?.includes('DESC') ? elem.name : undefined))
  const plain =
    names.length > 0 &&
    names.every((name) => name !== undefined) &&
    index.whereClause === undefined &&
    (index.indexIncludingParams ?? []).length === 0 &&
    (index.accessMethod ?? 'btree') === 'btree'
  return plain ? `[${names.map((name) => tsString(name!)).join(', ')}]` : '[...]'
}
