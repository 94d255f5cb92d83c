import type { Node } from 'libpg-query'
import { parseDuration } from '../util/duration.js'
import type { ExecutionStart } from './analysed-statement.js'
import { nodeKind, nodeOf } from './ast.js'

interface Setting {
  value: number | undefined
  from: string | undefined
}

/**
 * Follows transaction control and timeout settings through a migration, the way the
 * server would: `SET LOCAL` ends with its transaction, `SET` lasts for the session.
 */
export class SessionState {
  #transaction: number | undefined
  #transactions = 0
  #session: Record<'lock_timeout' | 'statement_timeout', Setting>
  #local: Partial<Record<'lock_timeout' | 'statement_timeout', Setting>> = {}

  constructor(start: ExecutionStart) {
    this.#session = {
      lock_timeout: { value: start.lockTimeoutMs, from: start.lockTimeoutMs ? 'runner' : undefined },
      statement_timeout: {
        value: start.statementTimeoutMs,
        from: start.statementTimeoutMs ? 'runner' : undefined,
      },
    }
    if (start.inTransaction) this.#transaction = ++this.#transactions
  }

  get transaction(): number | undefined {
    return this.#transaction
  }

  setting(name: 'lock_timeout' | 'statement_timeout'): Setting {
    return this.#local[name] ?? this.#session[name]
  }

  /** Updates the state after `node` ran. */
  apply(node: Node, where: string): void {
    const kind = nodeKind(node)
    if (kind === 'TransactionStmt') {
      const transaction = nodeOf<{ kind?: string }>(node, kind)?.kind ?? ''
      if (transaction === 'TRANS_STMT_BEGIN' || transaction === 'TRANS_STMT_START') {
        this.#transaction ??= ++this.#transactions
      } else if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE'].includes(transaction)) {
        this.#transaction = undefined
        this.#local = {}
      }
      return
    }
    if (kind !== 'VariableSetStmt') return
    const set = nodeOf<{ kind?: string; name?: string; args?: Node[]; is_local?: boolean }>(node, kind)!
    if (set.name !== 'lock_timeout' && set.name !== 'statement_timeout') return
    const value = set.kind === 'VAR_SET_VALUE' ? durationMs(set.args?.[0]) : undefined
    const setting = { value, from: where }
    if (set.is_local) {
      if (this.#transaction !== undefined) this.#local[set.name] = setting
    } else {
      this.#session[set.name] = setting
      delete this.#local[set.name]
    }
  }
}

/** A timeout setting's value in ms: `2000`, `'2s'`, `'1min'` (PostgreSQL's units). */
function durationMs(arg: Node | undefined): number | undefined {
  const constant = nodeOf<{ ival?: { ival?: number }; sval?: { sval?: string } }>(arg, 'A_Const')
  if (constant?.ival !== undefined) return constant.ival.ival ?? 0
  return parseDuration(constant?.sval?.sval)
}
