export type { BackfillOptions, BackfillProgress, BackfillResult } from './backfill.js'
export type { ColumnSpec, ReferentialAction } from './column.js'
export { inlineParams, sqlLiteral } from './inline-params.js'
export type { MigrationContext } from './migration-op.js'
export { MigrationOp } from './migration-op.js'
export type { ChangeColumnTypeOptions } from './recipes/change-column-type.js'
export type { DedupeUniqueOptions } from './recipes/dedupe-unique.js'
export type { NotNullColumnOptions } from './recipes/not-null-column.js'
export type { RebuildTableOptions } from './recipes/rebuild-table.js'
export type {
  AlterColumnChanges,
  CreateIndexOptions,
  CreateTableOptions,
  ForeignKeyOptions,
  IndexKey,
} from './render-ddl.js'
export type { SqlExecutor, StatementSource } from './sql-executor.js'
export { OfflineExecutor, OnlineExecutor } from './sql-executor.js'
export type { RelationName } from './sql-fragments.js'
export { RawSql, sql } from './sql-fragments.js'
