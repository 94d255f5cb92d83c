import { InvalidMigrationError, UsageError } from '../errors/index.js'
import type { MigrationMeta } from './migration.js'

/**
 * Reads an Alembic migration (`versions/1975ea83b712_create_users.py`) without running
 * Python: its revision identifiers, message and create date, and whether it has a
 * downgrade. A team moving from Alembic keeps its history in the versions directory:
 * Strata then knows the revisions the `alembic_version` table names, shows them in
 * `history`, and chains new TypeScript or SQL migrations after them. It cannot run them
 * (see `requireRunnable`).
 *
 * Understood: `revision = 'x'` (also annotated, `revision: str = "x"`), and for
 * `down_revision`, `branch_labels` and `depends_on` None, a string, or a tuple or list
 * of strings, over several lines if need be.
 */
export function parseAlembicMigration(text: string, file: string, checksum: string): MigrationMeta {
  const lines = text.split('\n')
  const revision = assignment(lines, 'revision')
  if (revision === undefined || revision.values.length !== 1) {
    throw new InvalidMigrationError(`${file}:${revision?.line ?? 1}: no "revision = '<id>'" line`, {
      where: `${file}:${revision?.line ?? 1}`,
      hint: "an Alembic migration names itself with revision = '<id>' at the top level; a Python file in a versions directory that is not one belongs elsewhere",
    })
  }
  const docstring = moduleDocstring(text)
  return {
    revision: revision.values[0]!,
    downRevisions: assignment(lines, 'down_revision')?.values ?? [],
    branchLabels: assignment(lines, 'branch_labels')?.values ?? [],
    dependsOn: assignment(lines, 'depends_on')?.values ?? [],
    message: docstring?.split('\n')[0]?.trim() ?? '',
    transactional: true,
    phase: undefined,
    file,
    format: 'alembic',
    checksum,
    hasDowngrade: definesDowngrade(lines),
    createDate: /^Create Date:\s*(.+)$/m.exec(docstring ?? '')?.[1]?.trim(),
  }
}

/** The strings a top-level `name = ...` assigns: [] for None. */
function assignment(lines: readonly string[], name: string): { values: string[]; line: number } | undefined {
  const start = lines.findIndex((line) => new RegExp(`^${name}\\s*(:[^=]*)?=`).test(line))
  if (start === -1) return undefined
  let value = lines[start]!.slice(lines[start]!.indexOf('=', name.length) + 1)
  // A tuple or list may go on over the next lines until its bracket closes.
  for (let index = start + 1; /^\s*[([]/.test(value) && !/[)\]]/.test(stripComment(value)); index++) {
    if (index >= lines.length) break
    value += `\n${lines[index]}`
  }
  const code = stripComment(value)
  const values = [...code.matchAll(/(['"])(.*?)\1/g)].map((match) => match[2]!)
  return { values, line: start + 1 }
}

function stripComment(code: string): string {
  // Ids and labels hold no '#': anything after one is a comment.
  return code.replace(/#.*$/gm, '')
}

/** The text of the module's docstring, if it opens with one. */
function moduleDocstring(text: string): string | undefined {
  const match = /^(?:\s*#[^\n]*\n)*\s*(?:[rRuU]?)("""|''')([\s\S]*?)\1/.exec(text)
  return match?.[2]?.replace(/^\s*\n/, '')
}

/** Whether `def downgrade` does anything (Alembic's template writes `pass` when empty). */
function definesDowngrade(lines: readonly string[]): boolean {
  const start = lines.findIndex((line) => /^def downgrade\s*\(/.test(line))
  if (start === -1) return false
  const body: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break // the next top-level statement
    body.push(line)
  }
  const code = body
    .join('\n')
    .replace(/("""|''')[\s\S]*?\1/g, '')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
  return code.some((line) => line !== 'pass')
}

/**
 * The refusal when a run would have to execute Alembic migrations: before anything runs,
 * with the two ways forward (Alembic runs them, or the database already has them).
 */
export function alembicCannotRun(
  metas: readonly MigrationMeta[],
  direction: 'up' | 'down' | 'run',
): UsageError {
  const list = metas.map((meta) => `${meta.revision}${meta.message ? ` (${meta.message})` : ''}`).join(', ')
  const last = metas.at(-1)!.revision
  const one = metas.length === 1
  const them = one ? 'it' : 'them'
  return new UsageError(
    `${one ? 'an Alembic migration' : `${metas.length} Alembic migrations`} (Python) would have to run: ${list}. Strata reads Alembic migrations but cannot run them; nothing was changed`,
    {
      where: metas[0]!.file,
      hint:
        direction === 'down'
          ? `downgrade past ${them} with Alembic, or port ${them} to TypeScript or SQL migrations with the same revision ids (\`strata convert <versions directory>\` ports those made of op calls)`
          : `apply ${them} with Alembic first (alembic upgrade ${last}); if the database already has ${one ? 'its' : 'their'} changes, record that with \`strata stamp ${last}\`; or port ${them} to TypeScript or SQL with the same revision ids (\`strata convert <versions directory>\` ports those made of op calls)`,
    },
  )
}

/** Refuses, before anything runs, a run whose steps include Alembic migrations. */
export function requireRunnable(
  steps: readonly { readonly meta: MigrationMeta }[],
  direction: 'up' | 'down',
): void {
  const alembic = steps.map((step) => step.meta).filter((meta) => meta.format === 'alembic')
  if (alembic.length > 0) throw alembicCannotRun(alembic, direction)
}
