import { OperationFailedError } from '../errors/index.js'
import { isCopyFromStdin } from '../graph/split-statements.js'
import { describeValue } from '../util/describe-value.js'
import { escapeRegex } from '../util/wildcard.js'
import {
  type BackfillOptions,
  type BackfillResult,
  type BackfillRuntime,
  checkBackfillOptions,
  primaryKey,
  runBackfill,
} from './backfill.js'
import type { ColumnSpec } from './column.js'
import { concurrentIndexBuild, concurrentReindex } from './concurrent-index-build.js'
import {
  checkOptionKeys,
  OpArgumentError,
  optionKeys,
  requireString,
  requireWholeNumber,
} from './op-arguments.js'
import {
  type ChangeColumnTypeOptions,
  changeColumnType,
  revertColumnType,
} from './recipes/change-column-type.js'
import { type DedupeUniqueOptions, dedupeAndAddUnique, restoreDuplicates } from './recipes/dedupe-unique.js'
import { addNotNullColumn, type NotNullColumnOptions } from './recipes/not-null-column.js'
import { type RebuildTableOptions, rebuildTable, revertRebuild } from './recipes/rebuild-table.js'
import { recompileTriggerFunctions } from './recipes/trigger-functions.js'
import { addCheckSafely, addForeignKeySafely } from './recipes/validated-constraint.js'
import {
  type AlterColumnChanges,
  type CreateIndexOptions,
  type CreateTableOptions,
  type ForeignKeyOptions,
  type IndexKey,
  renderAddColumn,
  renderAddEnumValue,
  renderAlterColumn,
  renderBulkInsert,
  renderComment,
  renderCreateCheckConstraint,
  renderCreateEnum,
  renderCreateExtension,
  renderCreateForeignKey,
  renderCreateIndex,
  renderCreatePrimaryKey,
  renderCreateSchema,
  renderCreateTable,
  renderCreateUniqueConstraint,
  renderDropColumn,
  renderDropConstraint,
  renderDropEnum,
  renderDropExtension,
  renderDropIndex,
  renderDropSchema,
  renderDropTable,
  renderRenameTable,
  renderValidateConstraint,
} from './render-ddl.js'
import { MANAGED, PARTITION_AWARE, type SqlExecutor, type StatementSource } from './sql-executor.js'
import { baseName, type RawSql, type RelationName, relation, splitName, sql } from './sql-fragments.js'

/** Facts about the migration an `op` belongs to. */
export interface MigrationContext {
  readonly revision: string
  readonly file: string
  readonly direction: 'up' | 'down'
  /** `-x KEY=VALUE` arguments. */
  readonly args: Readonly<Record<string, string>>
  /** Facts of the run that some operations need (backfill checkpoints, lock settings, progress). */
  readonly runtime?: Partial<Omit<BackfillRuntime, 'revision'>> & {
    readonly statementTimeoutMs?: number
    /** One-line reports of what an operation did (rows moved aside, ...). */
    readonly onNotice?: (line: string) => void
  }
}

/**
 * The operations API passed to `upgrade(op)` and `downgrade(op)`. Every operation
 * works online and renders into offline `--sql` scripts; identifiers are always
 * quoted, values go as parameters (or, in DDL, as quoted literals).
 *
 * @example
 * export async function upgrade(op: MigrationOp) {
 *   await op.createTable('user_sessions', [
 *     { name: 'id', type: 'bigint', primaryKey: true, identity: true },
 *     { name: 'user_id', type: 'bigint', nullable: false, references: { table: 'users', onDelete: 'CASCADE' } },
 *     { name: 'token', type: 'text', nullable: false },
 *     { name: 'created_at', type: 'timestamptz', nullable: false, default: op.sql('now()') },
 *   ])
 *   await op.createIndex('ix_user_sessions_token', 'user_sessions', ['token'])
 * }
 */
export class MigrationOp {
  /** The migration's statements (its own and its recipes'), which a COMMIT of op.autocommit makes stay. */
  #statementsSent = 0

  constructor(
    protected readonly executor: SqlExecutor,
    readonly context: MigrationContext,
  ) {}

  /** True while rendering an offline script: no query can return rows. */
  get offline(): boolean {
    return this.executor.offline
  }

  /** `-x KEY=VALUE` arguments given on the command line. */
  get args(): Readonly<Record<string, string>> {
    return this.context.args
  }

  /** Marks an SQL expression for defaults, conditions and USING clauses: `op.sql('now()')`. */
  sql(text: string): RawSql {
    return sql(text)
  }

  /**
   * Runs one SQL statement. Values go as parameters (`$1`, `$2`), never into the text.
   *
   * @example await op.execute('UPDATE users SET active = $1 WHERE id = $2', [true, 42])
   */
  async execute(text: string, params: readonly unknown[] = [], source?: StatementSource): Promise<void> {
    requireString('execute', 'the SQL', text)
    if (!Array.isArray(params))
      throw new OpArgumentError(
        `execute: the parameters must be an array, found ${describeValue(params)}`,
        "e.g. op.execute('UPDATE users SET active = $1 WHERE id = $2', [true, 42])",
      )
    // A CONCURRENTLY build run again after an interruption: its invalid index goes first.
    // (Inside a transaction the build fails anyway, with its own hint.)
    const outside = !this.executor.offline && !this.executor.inTransaction
    const build = outside ? concurrentIndexBuild(text) : undefined
    if (build !== undefined) await this.#prepareConcurrentBuild(build.name, build.table)
    const reindex = outside ? concurrentReindex(text) : undefined
    if (reindex !== undefined) await this.#dropInterruptedReindex(reindex.kind, reindex.relation)
    this.#statementsSent++
    await this.executor.send(
      text,
      params,
      source ?? (this.executor.offline ? undefined : { callSite: new Error() }),
    )
  }

  /**
   * Loads rows with `COPY ... FROM STDIN`: `data` is what psql would send after the
   * statement (text format: a row per line, columns separated by tabs, `\N` for NULL; or
   * CSV when the statement says `WITH (FORMAT csv)`), without the closing `\.`. Returns
   * the rows loaded (online). An SQL migration may hold the same as pg_dump writes it.
   *
   * @example await op.copyFrom('COPY countries (code, name) FROM STDIN', 'de\tGermany\nfr\tFrance\n')
   */
  async copyFrom(statement: string, data: string, source?: StatementSource): Promise<number | undefined> {
    if (typeof statement !== 'string' || !isCopyFromStdin(statement)) {
      throw new OpArgumentError(
        `copyFrom: the statement must be COPY ... FROM STDIN, found ${describeValue(statement)}`,
        "e.g. op.copyFrom('COPY countries (code, name) FROM STDIN', rows)",
      )
    }
    if (typeof data !== 'string') {
      throw new OpArgumentError(
        `copyFrom: the rows must be a string (lines of tab-separated values), found ${describeValue(data)}`,
        'for rows as objects, op.bulkInsert(table, rows) inserts them',
      )
    }
    this.#statementsSent++
    return this.executor.copyFrom(statement, data, source)
  }

  /**
   * Runs a query and returns its rows. Online only: an offline script cannot know
   * query results, so this fails there with the migration named.
   *
   * @example const [{ count }] = await op.query<{ count: string }>('SELECT count(*) FROM users')
   */
  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params: readonly unknown[] = [],
    /** `MANAGED` for a recipe's own catalog lookup: not one of the migration's statements. */
    source?: StatementSource,
  ): Promise<Row[]> {
    if (this.executor.offline) {
      if (this.executor.unknownRows) return this.executor.unknownRows(text) as Row[]
      throw new OperationFailedError(
        `migration ${this.context.revision} reads query results (op.query), which offline --sql mode cannot know`,
        {
          where: this.context.file,
          hint: 'run it online, or guard the data-dependent part with `if (!op.offline)`',
        },
      )
    }
    const result = await this.executor.run(text, params, source)
    return (result?.rows ?? []) as Row[]
  }

  /**
   * Runs `work` outside the migration's transaction: the transaction so far is
   * committed, `work` runs in autocommit mode, and a new transaction begins after it.
   * For CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, and
   * `ALTER TYPE ... ADD VALUE` on PostgreSQL 11 and older.
   *
   * @example await op.autocommit(() => op.createIndex('ix_users_email', 'users', ['email'], { concurrently: true }))
   */
  async autocommit<T>(work: () => Promise<T>): Promise<T> {
    if (!this.executor.inTransaction) return work()
    await this.executor.run('COMMIT', [], MANAGED)
    if (this.#statementsSent > 0) this.executor.committedWork = true
    this.executor.inTransaction = false
    this.executor.committedEarly = true
    // The transaction's SET LOCAL timeouts ended with it: keep them for the session.
    const lockTimeout = Math.trunc(this.context.runtime?.lockTimeoutMs ?? 5000)
    const statementTimeout = Math.trunc(this.context.runtime?.statementTimeoutMs ?? 0)
    await this.executor.run(
      `SET lock_timeout = ${lockTimeout}; SET statement_timeout = ${statementTimeout}`,
      [],
      MANAGED,
    )
    let failed = false
    try {
      const result = await work()
      this.executor.committedWork = true
      return result
    } catch (error) {
      failed = true
      throw error
    } finally {
      // A statement that failed inside an explicit BEGIN of `work` (a VALIDATE in its own
      // transaction) left that transaction aborted: BEGIN would fail on it with 25P02 and
      // hide the real error. ROLLBACK outside a transaction is only a warning.
      const failing = this.executor.current
      if (failed && !this.executor.offline) await this.executor.run('ROLLBACK', [], MANAGED)
      await this.executor.run('BEGIN', [], MANAGED)
      this.executor.inTransaction = true
      // The error report names the statement that failed, not this clean-up.
      if (failed) this.executor.current = failing
    }
  }

  async createTable(
    table: RelationName,
    columns: readonly ColumnSpec[],
    options?: CreateTableOptions,
  ): Promise<void> {
    for (const statement of renderCreateTable(table, columns, options)) await this.execute(statement)
  }

  async dropTable(table: RelationName, options?: { ifExists?: boolean; cascade?: boolean }): Promise<void> {
    await this.execute(renderDropTable(table, options))
  }

  async renameTable(table: RelationName, newName: string): Promise<void> {
    await this.execute(renderRenameTable(table, newName))
  }

  async addColumn(
    table: RelationName,
    column: ColumnSpec,
    options?: { ifNotExists?: boolean },
  ): Promise<void> {
    await this.execute(renderAddColumn(table, column, options))
  }

  async dropColumn(
    table: RelationName,
    column: string,
    options?: { ifExists?: boolean; cascade?: boolean },
  ): Promise<void> {
    await this.execute(renderDropColumn(table, column, options))
  }

  /** @example await op.alterColumn('users', 'age', { type: 'bigint', using: op.sql('age::bigint') }) */
  async alterColumn(table: RelationName, column: string, changes: AlterColumnChanges): Promise<void> {
    for (const statement of renderAlterColumn(table, column, changes)) await this.execute(statement)
    // Sessions that ran the table's PL/pgSQL triggers before a type change would fail every
    // write after it, until they reconnect: the functions are made to compile again.
    if (changes.type !== undefined && !this.offline)
      for (const statement of await recompileTriggerFunctions(this, table)) await this.execute(statement)
  }

  /**
   * Creates an index. With `concurrently: true` the build does not block writes; it
   * must then run outside a transaction (`export const transactional = false`, or
   * inside `op.autocommit`). Such a build commits on its own, so an interrupted
   * migration's re-run meets it again: an invalid index of the same name (the build was
   * cut short) is dropped first, and a valid one (the build finished, something after it
   * failed) is kept: the statement is `CREATE INDEX CONCURRENTLY IF NOT EXISTS`.
   */
  async createIndex(
    name: string,
    table: RelationName,
    columns: readonly IndexKey[],
    options: CreateIndexOptions = {},
  ): Promise<void> {
    if (!options.concurrently) {
      await this.execute(renderCreateIndex(name, table, columns, options))
      return
    }
    const statement = renderCreateIndex(name, table, columns, { ...options, ifNotExists: true })
    this.#requireNoTransaction(`createIndex('${name}', { concurrently: true })`)
    const partitions = await this.partitionsOf(table)
    if (partitions !== undefined) {
      await this.#createPartitionedIndex(name, table, columns, options, partitions)
      return
    }
    // execute() drops an invalid index of that name first (an interrupted build).
    await this.execute(statement, [], PARTITION_AWARE)
  }

  /**
   * PostgreSQL cannot build an index on a partitioned table CONCURRENTLY, so it is
   * built as a DBA would: the table's own index ON ONLY (no build; invalid for now),
   * each partition's CONCURRENTLY (`<name>_<partition>`, a partitioned partition in
   * turn the same way), each attached; the last attach makes the parent's valid. A
   * partition that already has an equivalent valid index of its own (made by hand) gets
   * that one attached instead of a second build, as a plain CREATE INDEX would. Every
   * step is skipped or repeated safely when an interrupted migration runs again.
   */
  async #createPartitionedIndex(
    name: string,
    table: RelationName,
    columns: readonly IndexKey[],
    options: CreateIndexOptions,
    partitions: readonly { schema: string; name: string }[],
  ): Promise<void> {
    const parentOptions = { ...options, concurrently: false, ifNotExists: true }
    await this.execute(renderCreateIndex(name, table, columns, parentOptions, true))
    const parentSchema = splitName(table).schema
    const parentIndex = relation(parentSchema === undefined ? name : { schema: parentSchema, name })
    for (const partition of partitions) {
      const partitionIndex = `${name}_${partition.name}`.slice(0, 63)
      const existing = await this.#equivalentIndex(partition, parentIndex)
      if (existing === undefined)
        await this.createIndex(partitionIndex, partition, columns, { ...options, concurrently: true })
      const attached = relation({ schema: partition.schema, name: existing ?? partitionIndex })
      await this.execute(`ALTER INDEX ${parentIndex} ATTACH PARTITION ${attached}`)
    }
  }

  /**
   * A valid index of `partition`, attached to no partitioned index yet, that matches
   * `parentIndex` (same uniqueness, same method, keys, INCLUDE and predicate, as
   * pg_get_indexdef writes them after USING); its name, or undefined.
   */
  async #equivalentIndex(
    partition: { schema: string; name: string },
    parentIndex: string,
  ): Promise<string | undefined> {
    const result = await this.executor.run(
      `SELECT c.relname
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid, pg_index p
        WHERE i.indrelid = to_regclass($1) AND p.indexrelid = to_regclass($2)
          AND i.indisvalid AND i.indisunique = p.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
          AND substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$') = substring(pg_get_indexdef(p.indexrelid) FROM ' USING .*$')
        ORDER BY c.relname LIMIT 1`,
      [relation(partition), parentIndex],
      MANAGED,
    )
    return result?.rows[0]?.relname as string | undefined
  }

  /**
   * A partitioned table's direct partitions; undefined for any other table, and offline
   * (where the recipes that build partition by partition write the plain statement).
   */
  async partitionsOf(table: RelationName): Promise<{ schema: string; name: string }[] | undefined> {
    if (this.executor.offline) return undefined
    const result = await this.executor.run(
      `SELECT c.relkind::text AS kind,
              array(SELECT json_build_object('schema', pn.nspname, 'name', p.relname)
                      FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
                     WHERE i.inhparent = c.oid ORDER BY pn.nspname, p.relname) AS partitions
         FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [relation(table)],
      MANAGED,
    )
    const row = result?.rows[0]
    return row?.kind === 'p' ? (row.partitions as { schema: string; name: string }[]) : undefined
  }

  async dropIndex(
    name: RelationName,
    options: { concurrently?: boolean; ifExists?: boolean; cascade?: boolean } = {},
  ): Promise<void> {
    if (options.concurrently)
      this.#requireNoTransaction(
        `dropIndex('${typeof name === 'string' ? name : name.name}', { concurrently: true })`,
      )
    await this.execute(renderDropIndex(name, options))
  }

  async createPrimaryKey(
    name: string,
    table: RelationName,
    columns: readonly string[],
    options?: { usingIndex?: string },
  ): Promise<void> {
    await this.execute(renderCreatePrimaryKey(name, table, columns, options))
  }

  /** With `usingIndex`, promotes an index built CONCURRENTLY beforehand (a brief lock instead of a scan). */
  async createUniqueConstraint(
    name: string,
    table: RelationName,
    columns: readonly string[],
    options?: { usingIndex?: string; deferrable?: boolean },
  ): Promise<void> {
    await this.execute(renderCreateUniqueConstraint(name, table, columns, options))
  }

  async createForeignKey(
    name: string,
    table: RelationName,
    referencedTable: RelationName,
    columns: readonly string[],
    referencedColumns: readonly string[] = ['id'],
    options?: ForeignKeyOptions,
  ): Promise<void> {
    await this.execute(
      renderCreateForeignKey(name, table, referencedTable, columns, referencedColumns, options),
    )
  }

  async createCheckConstraint(
    name: string,
    table: RelationName,
    condition: RawSql | string,
    options?: { notValid?: boolean },
  ): Promise<void> {
    await this.execute(
      renderCreateCheckConstraint(
        name,
        table,
        typeof condition === 'string' ? sql(condition) : condition,
        options,
      ),
    )
  }

  /** Checks a NOT VALID constraint's existing rows under SHARE UPDATE EXCLUSIVE (writes continue). */
  async validateConstraint(name: string, table: RelationName): Promise<void> {
    await this.execute(renderValidateConstraint(name, table))
  }

  async dropConstraint(
    name: string,
    table: RelationName,
    options?: { ifExists?: boolean; cascade?: boolean },
  ): Promise<void> {
    await this.execute(renderDropConstraint(name, table, options))
  }

  async createSchema(name: string, options?: { ifNotExists?: boolean }): Promise<void> {
    await this.execute(renderCreateSchema(name, options))
  }

  async dropSchema(name: string, options?: { ifExists?: boolean; cascade?: boolean }): Promise<void> {
    await this.execute(renderDropSchema(name, options))
  }

  async createEnum(name: RelationName, values: readonly string[]): Promise<void> {
    await this.execute(renderCreateEnum(name, values))
  }

  async addEnumValue(
    name: RelationName,
    value: string,
    options?: { before?: string; after?: string; ifNotExists?: boolean },
  ): Promise<void> {
    await this.execute(renderAddEnumValue(name, value, options))
  }

  async dropEnum(name: RelationName, options?: { ifExists?: boolean }): Promise<void> {
    await this.execute(renderDropEnum(name, options))
  }

  async createExtension(name: string, options?: { ifNotExists?: boolean; schema?: string }): Promise<void> {
    await this.execute(renderCreateExtension(name, options))
  }

  async dropExtension(name: string, options?: { ifExists?: boolean }): Promise<void> {
    await this.execute(renderDropExtension(name, options))
  }

  /** `op.comment('table', 'users', 'accounts')`, `op.comment('column', 'users.email', null)`. */
  async comment(
    kind: 'table' | 'column' | 'index' | 'schema' | 'type',
    target: string,
    text: string | null,
  ): Promise<void> {
    const quoted =
      kind === 'column'
        ? target
            .split('.')
            .map((part) => relation(part))
            .join('.')
        : relation(target)
    await this.execute(renderComment(kind.toUpperCase() as 'TABLE', quoted, text))
  }

  /**
   * Updates many rows in small batches (the guide's Phase 2 data migration, done
   * right): keyset pagination on the primary key, each batch in its own short
   * transaction with its own lock timeout, a checkpoint that lets an interrupted run
   * resume, progress with rows/s and ETA, and a final check that no row still matches
   * `where` ("Data migration incomplete: N rows remaining" otherwise). Runs outside the
   * migration's transaction, committing what came before it: write those statements so
   * that they can run twice (`{ ifNotExists: true }`), since an interrupted migration
   * runs again from its start and the backfill resumes where it stopped.
   *
   * @example
   * await op.backfill({ table: 'users', set: { new_column: op.sql('old_column') },
   *                     where: 'new_column IS NULL AND old_column IS NOT NULL' })
   */
  async backfill(options: BackfillOptions): Promise<BackfillResult> {
    const runtime: BackfillRuntime = {
      revision: this.context.revision,
      stateSchema: this.context.runtime?.stateSchema ?? 'public',
      lockTimeoutMs: this.context.runtime?.lockTimeoutMs ?? 5000,
      lockRetries: this.context.runtime?.lockRetries ?? 5,
      maxReplicaLagMb: this.context.runtime?.maxReplicaLagMb,
      replicaLagTimeoutMs: this.context.runtime?.replicaLagTimeoutMs,
      onProgress: this.context.runtime?.onProgress,
    }
    // Before the commit: bad arguments must leave the migration's earlier statements uncommitted.
    checkBackfillOptions(options)
    return this.autocommit(() => runBackfill(this.executor, runtime, options))
  }

  /**
   * Adds a NOT NULL column without a long lock: nullable with its default, optional
   * batched backfill, `CHECK ... NOT VALID`, `VALIDATE`, `SET NOT NULL`, drop the check.
   * Downgrade: `op.dropColumn(table, column.name)`.
   *
   * @example await op.addNotNullColumn('users', { name: 'preferences', type: 'jsonb', default: {} })
   */
  addNotNullColumn(table: RelationName, column: ColumnSpec, options?: NotNullColumnOptions): Promise<void> {
    return this.#recipe(() => addNotNullColumn(this, table, column, options))
  }

  /**
   * A foreign key added NOT VALID, then validated in its own transaction; on a
   * partitioned table, partition by partition (PostgreSQL refuses NOT VALID there).
   * Downgrade: `op.dropConstraint`.
   */
  addForeignKeySafely(
    name: string,
    table: RelationName,
    referencedTable: RelationName,
    columns: readonly string[],
    referencedColumns: readonly string[] = ['id'],
    options?: Omit<ForeignKeyOptions, 'notValid'>,
  ): Promise<void> {
    return this.#recipe(() =>
      addForeignKeySafely(this, name, table, referencedTable, columns, referencedColumns, options),
    )
  }

  /** A CHECK constraint added NOT VALID, then validated in its own transaction. Downgrade: `op.dropConstraint`. */
  addCheckSafely(name: string, table: RelationName, condition: RawSql | string): Promise<void> {
    return this.#recipe(() => addCheckSafely(this, name, table, condition))
  }

  /**
   * Moves duplicate rows aside (to `<table>_strata_dups`), then adds a unique
   * constraint from an index built CONCURRENTLY. Returns how many rows moved.
   * Downgrade: `op.restoreDuplicates(table, name)`.
   *
   * @example await op.dedupeAndAddUnique('users', ['email'], { name: 'uq_users_email', keep: 'id DESC' })
   */
  dedupeAndAddUnique(
    table: RelationName,
    columns: readonly string[],
    options?: DedupeUniqueOptions,
  ): Promise<number> {
    return this.#recipe(() => dedupeAndAddUnique(this, table, columns, options))
  }

  /** The downgrade of `dedupeAndAddUnique`: drops the constraint and restores the moved rows. */
  restoreDuplicates(table: RelationName, constraint: string): Promise<void> {
    return this.#recipe(() => restoreDuplicates(this, table, constraint))
  }

  /**
   * Changes a column's type without an exclusive rewrite: a new column kept in sync
   * by a trigger, a batched backfill, then a short swap; the old values stay in
   * `<column>_strata_old`. Downgrade: `op.revertColumnType(table, column, oldType)`.
   *
   * @example await op.changeColumnType('users', 'age', 'integer', { using: "NULLIF(age, '')::integer" })
   */
  changeColumnType(
    table: RelationName,
    column: string,
    newType: string,
    options?: ChangeColumnTypeOptions,
  ): Promise<void> {
    return this.#recipe(() => changeColumnType(this, table, column, newType, options))
  }

  /** The downgrade of `changeColumnType`; `using` converts new values back to `oldType`. */
  revertColumnType(
    table: RelationName,
    column: string,
    oldType: string,
    options?: ChangeColumnTypeOptions,
  ): Promise<void> {
    return this.#recipe(() => revertColumnType(this, table, column, oldType, options))
  }

  /**
   * Rebuilds a large table with a new definition while writers continue: batched copy,
   * change capture by trigger, replay, and a swap under a brief exclusive lock; the old
   * table stays as `<table>_strata_old`. Downgrade: `op.revertRebuild(table)`.
   *
   * @example
   * await op.rebuildTable('users', {
   *   columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'email', type: 'text', nullable: false },
   *             { name: 'preferences', type: 'jsonb', nullable: false, default: {} }],
   *   select: { preferences: "'{}'::jsonb" },
   * })
   */
  rebuildTable(table: RelationName, options: RebuildTableOptions): Promise<void> {
    return this.#recipe(() => rebuildTable(this, table, options))
  }

  /** The downgrade of `rebuildTable`: the old table takes its name back (refused if rows would be lost, unless `force`). */
  revertRebuild(table: RelationName, options?: { force?: boolean }): Promise<void> {
    return this.#recipe(() => revertRebuild(this, table, options))
  }

  /**
   * Runs a recipe, counting it on the executor: a recipe's steps are its own, written to
   * find on a re-run what an interrupted run left (tested one by one), so the analysis
   * does not ask them to run twice the way it asks the migration's own statements.
   */
  async #recipe<T>(run: () => Promise<T>): Promise<T> {
    this.executor.recipeDepth = (this.executor.recipeDepth ?? 0) + 1
    try {
      return await run()
    } finally {
      this.executor.recipeDepth -= 1
    }
  }

  /** The primary key columns of a table, in key order (online only); an error naming the fix when there is none. */
  async primaryKeyOf(table: RelationName): Promise<string[]> {
    return primaryKey(this.executor, table)
  }

  /** Inserts rows in batches of `batchSize` (default 500), values as parameters. */
  async bulkInsert(
    table: RelationName,
    rows: readonly Record<string, unknown>[],
    options: { batchSize?: number } = {},
  ): Promise<void> {
    checkOptionKeys(
      `bulkInsert('${baseName(table)}')`,
      options,
      optionKeys<{ batchSize?: number }>({ batchSize: true }),
    )
    if (!Array.isArray(rows))
      throw new OpArgumentError(
        `bulkInsert('${baseName(table)}'): the rows must be an array of objects, found ${describeValue(rows)}`,
        "e.g. op.bulkInsert('users', [{ email: 'a@example.com' }, { email: 'b@example.com' }])",
      )
    requireWholeNumber(`bulkInsert('${baseName(table)}')`, 'batchSize', options.batchSize, 1, 500)
    const size = options.batchSize ?? 500
    for (let start = 0; start < rows.length; start += size) {
      const { text, values } = renderBulkInsert(table, rows.slice(start, start + size))
      await this.execute(text, values)
    }
  }

  #requireNoTransaction(call: string): void {
    if (!this.executor.inTransaction) return
    throw new OperationFailedError(
      `${call} cannot run inside the migration's transaction (PostgreSQL forbids CONCURRENTLY there)`,
      {
        where: this.context.file,
        hint: `add \`export const transactional = false\` to ${this.context.file} (SQL: \`-- transactional: false\`), or wrap the call: await op.autocommit(() => op.${call.replace(/^(\w+)\(/, '$1(')})`,
      },
    )
  }

  /**
   * Before `REINDEX ... CONCURRENTLY`: drops the invalid `_ccnew` / `_ccold` indexes an
   * interrupted run left on the table (every query on it pays to maintain them), so that
   * the run again does not build a `_ccnew1` beside them.
   */
  async #dropInterruptedReindex(kind: 'index' | 'table', target: RelationName): Promise<void> {
    const table =
      kind === 'index'
        ? '(SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass($1))'
        : 'to_regclass($1)'
    const result = await this.executor.run(
      `SELECT n.nspname AS schema, c.relname AS name
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND i.indrelid = ${table}
        ORDER BY c.relname`,
      [relation(target)],
      MANAGED,
    )
    // PostgreSQL's names for a concurrent rebuild's copies: <index>_ccnew, _ccnew1, ..., _ccold.
    const prefix = kind === 'index' ? splitName(target).name : '.*'
    const leftover = new RegExp(`^${kind === 'index' ? escapeRegex(prefix) : prefix}_cc(?:new|old)\\d*$`)
    for (const row of result?.rows ?? []) {
      if (!leftover.test(row.name)) continue
      await this.execute(
        renderDropIndex({ schema: row.schema, name: row.name }, { concurrently: true, ifExists: true }),
      )
      this.context.runtime?.onNotice?.(
        `dropped the invalid index ${row.name} an interrupted REINDEX CONCURRENTLY left, before reindexing again`,
      )
    }
  }

  /**
   * Before `CREATE INDEX CONCURRENTLY [IF NOT EXISTS]`: drops an invalid index of that name
   * (an interrupted build), and refuses when the name belongs to another table's index,
   * which IF NOT EXISTS would otherwise take for this one.
   */
  async #prepareConcurrentBuild(name: string, table: RelationName): Promise<void> {
    if (this.executor.offline) return
    const schema = splitName(table).schema
    const qualified: RelationName = schema === undefined ? name : { schema, name }
    const result = await this.executor.run(
      'SELECT i.indisvalid, i.indrelid = to_regclass($2) AS same_table, i.indrelid::regclass::text AS on_table FROM pg_index i WHERE i.indexrelid = to_regclass($1)',
      [relation(qualified), relation(table)],
      // A look at the catalog, not one of the migration's statements.
      MANAGED,
    )
    const existing = result?.rows[0]
    if (existing === undefined) return
    if (existing.same_table !== true) {
      throw new OperationFailedError(
        `createIndex('${name}'): an index named ${name} already exists on ${existing.on_table}`,
        { where: this.context.file, hint: 'give the new index another name' },
      )
    }
    if (existing.indisvalid === false) {
      await this.execute(renderDropIndex(qualified, { concurrently: true, ifExists: true }))
      this.context.runtime?.onNotice?.(
        `dropped the invalid index ${name} an interrupted build left on ${existing.on_table}, to build it again`,
      )
    }
  }
}
