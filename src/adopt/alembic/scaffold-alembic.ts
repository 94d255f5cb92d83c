import type { MigrationMeta } from '../../graph/migration.js'
import { functionBodyLines } from './python-calls.js'

/**
 * A TypeScript migration to finish by hand, for an Alembic migration that is code (a data
 * migration through `op.get_bind()`, a loop): its revision id, parents, labels and message
 * as Alembic's, its Python under each function as comments, and an upgrade that refuses
 * to run until someone writes it. Strata then reads one file per revision, and running
 * it says which migration is left to port instead of "Strata cannot run Python".
 */
export function scaffoldTsMigration(meta: MigrationMeta, source: string, fileName: string): string {
  const tsString = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  const list = (values: readonly string[]) =>
    values.length === 1 ? tsString(values[0]!) : `[${values.map(tsString).join(', ')}]`
  const lines = [
    '/**',
    ` * ${meta.message.replace(/\s+/g, ' ').replaceAll('*/', '*\\/')}`,
    ' *',
    ` * Revision ID: ${meta.revision}`,
    ` * Revises: ${meta.downRevisions.join(', ') || '<base>'}`,
    ...(meta.createDate ? [` * Create Date: ${meta.createDate}`] : []),
    ' *',
    ` * Scaffolded by strata convert from ${fileName} (kept as ${fileName}.ported), which is`,
    ' * Python code Strata does not run: port each function from the Python written in it,',
    ' * then remove its throw (op.backfill for batched updates, op.query to read rows).',
    ' */',
    "import type { MigrationOp } from 'strata'",
    '',
    `export const revision = ${tsString(meta.revision)}`,
    `export const downRevision: string | string[] | null = ${meta.downRevisions.length === 0 ? 'null' : list(meta.downRevisions)}`,
    `export const message = ${tsString(meta.message.replace(/\s+/g, ' '))}`,
    ...(meta.branchLabels.length > 0
      ? [`export const branchLabels = [${meta.branchLabels.map(tsString).join(', ')}]`]
      : []),
    ...(meta.dependsOn.length > 0
      ? [`export const dependsOn = [${meta.dependsOn.map(tsString).join(', ')}]`]
      : []),
    '',
    ...scaffoldFunction(source, 'upgrade', meta.revision),
  ]
  // `pass` alone is Alembic's "no way back": no downgrade, as the Python had none.
  if (meta.hasDowngrade) lines.push('', ...scaffoldFunction(source, 'downgrade', meta.revision))
  return `${lines.join('\n')}\n`
}

function scaffoldFunction(source: string, name: 'upgrade' | 'downgrade', revision: string): string[] {
  const body = functionBodyLines(source, name)
  const python = body === undefined ? [] : body.lines.slice(body.start, body.end)
  while (python.length > 0 && python.at(-1)!.trim() === '') python.pop()
  const indent = Math.min(
    ...python.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length),
  )
  return [
    `export async function ${name}(op: MigrationOp) {`,
    `  // Alembic's ${name}(), to port:`,
    ...python.map((line) => (line.trim() === '' ? '  //' : `  //   ${line.slice(indent)}`)),
    `  throw new Error(${JSON.stringify(`${revision} is not ported yet: write its ${name}() from the Python in the file, then remove this line`)})`,
    '}',
  ]
}
