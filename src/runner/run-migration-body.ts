import { UsageError } from '../errors/index.js'
import type { MigrationBody } from '../graph/load-migrations.js'
import { runTrackingCalls } from '../ops/awaited-calls.js'
import type { MigrationOp } from '../ops/migration-op.js'
import type { PlanStep } from './plan.js'

/** Runs one direction of a migration's code through `op` (online or offline alike). */
export async function runMigrationBody(body: MigrationBody, step: PlanStep, op: MigrationOp): Promise<void> {
  if (body.kind === 'sql') {
    const statements = step.direction === 'up' ? body.up : body.down
    if (statements === undefined) throw missingDowngrade(step)
    for (const statement of statements) {
      if (statement.copyData === undefined) await op.execute(statement.sql, [], { line: statement.line })
      else await op.copyFrom(statement.sql, statement.copyData, { line: statement.line })
    }
    return
  }
  const fn = step.direction === 'up' ? body.upgrade : body.downgrade
  if (fn === undefined) throw missingDowngrade(step)
  await runTrackingCalls(fn, op, step.direction === 'up' ? 'upgrade' : 'downgrade')
}

/** A target below a migration without a downgrade: refused before anything runs (exit 2). */
export function missingDowngrade(step: Pick<PlanStep, 'revision' | 'meta'>): UsageError {
  return new UsageError(
    `${step.revision} has no downgrade, so the database cannot go below it; nothing was changed`,
    {
      where: step.meta.file,
      hint:
        step.meta.format === 'sql' ? 'add a "-- migrate:down" section' : 'export a downgrade(op) function',
    },
  )
}
