import type { MigrationMeta } from '../../graph/migration.js'
import { tsMigrationHeader } from '../../graph/revision-templates.js'
import { functionBodyLines } from './python-calls.js'

/**
 * A TypeScript migration to finish by hand, for an Alembic migration that is code (a data
 * migration through `op.get_bind()`, a loop): its revision id, parents, labels and message
 * as Alembic's, its Python under each function as comments, and an upgrade that refuses
 * to run until someone writes it. Strata then reads one file per revision, and running
 * it says which migration is left to port instead of "Strata cannot run Python".
 */
export function scaffoldTsMigration(meta: MigrationMeta, source: string, fileName: string): string {
  const lines = [
    ...tsMigrationHeader({ ...meta, message: meta.message.replace(/\s+/g, ' ') }, [
      `Scaffolded by strata convert from ${fileName} (kept as ${fileName}.ported), which is`,
      'Python code Strata does not run: port each function from the Python written in it,',
      'then remove its throw (op.backfill for batched updates, op.query to read rows).',
    ]),
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
