import { OperationFailedError } from '../errors/index.js'
import type { SqlExecutor, StatementSource } from './sql-executor.js'

/** Facts about the migration an `op` belongs to. */
export interface MigrationContext {
  readonly revision: string
  readonly file: string
  readonly direction: 'up' | 'down'
  /** `-x KEY=VALUE` arguments. */
  readonly args: Readonly<Record<string, string>>
}

/**
 * The operations API passed to `upgrade(op)` and `downgrade(op)`. Every operation
 * works online and renders into offline `--sql` scripts.
 *
 * @example
 * export async function upgrade(op) {
 *   await op.execute('CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL)')
 * }
 */
export class MigrationOp {
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

  /**
   * Runs one SQL statement. Values go as parameters (`$1`, `$2`), never into the text.
   *
   * @example await op.execute('UPDATE users SET active = $1 WHERE id = $2', [true, 42])
   */
  async execute(sql: string, params: readonly unknown[] = [], source?: StatementSource): Promise<void> {
    await this.executor.run(sql, params, source)
  }

  /**
   * Runs a query and returns its rows. Online only: an offline script cannot know
   * query results, so this fails there with the migration named.
   *
   * @example const [{ count }] = await op.query<{ count: string }>('SELECT count(*) FROM users')
   */
  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    if (this.executor.offline) {
      throw new OperationFailedError(
        `migration ${this.context.revision} reads query results (op.query), which offline --sql mode cannot know`,
        {
          where: this.context.file,
          hint: 'run it online, or guard the data-dependent part with `if (!op.offline)`',
        },
      )
    }
    const result = await this.executor.run(sql, params)
    return (result?.rows ?? []) as Row[]
  }
}
