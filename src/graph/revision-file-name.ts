/**
 * The name of a new migration file from `migrations.fileTemplate`, which takes Alembic's
 * `file_template` as alembic.ini writes it (without the ini's doubled `%%`), so that a
 * project moving from Alembic keeps naming its files as before:
 * `%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s` → `20261201_ab12cd34ef56_add_users`.
 */

/** Strata's default, and Alembic's: `ab12cd34ef56_add_users`. */
export const DEFAULT_FILE_TEMPLATE = '%(rev)s_%(slug)s'

const TOKENS = ['rev', 'slug', 'epoch', 'year', 'month', 'day', 'hour', 'minute', 'second'] as const
type Token = (typeof TOKENS)[number]

/** `%(name)s`, `%(month).2d`, `%(day)02d`: Python's %-formatting, as Alembic applies it. */
const PLACEHOLDER = /%\((\w+)\)(0?)(\d*)(?:\.(\d+))?([sd])/g

/** Why a template cannot name migration files, or undefined when it can. */
export function fileTemplateProblem(template: string): string | undefined {
  if (template.includes('/') || template.includes('\\')) return 'names a file, not a directory: no / in it'
  const names = [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!)
  const unknown = names.find((name) => !(TOKENS as readonly string[]).includes(name))
  if (unknown !== undefined)
    return `%(${unknown}) is not a token (${TOKENS.map((t) => `%(${t})`).join(', ')})`
  if (template.replace(PLACEHOLDER, '').includes('%'))
    return 'a % that is not a %(token)s or %(token).2d placeholder'
  if (!names.includes('rev')) return 'needs %(rev)s, so that two migrations never share a file name'
  return undefined
}

/** The file name (without extension) for a revision created at `now` (local time, as Alembic's). */
export function revisionFileName(
  template: string,
  fields: { readonly revision: string; readonly slug: string; readonly now: Date },
): string {
  const { now } = fields
  const values: Record<Token, string | number> = {
    rev: fields.revision,
    slug: fields.slug,
    epoch: Math.floor(now.getTime() / 1000),
    year: now.getFullYear(),
    month: now.getMonth() + 1,
    day: now.getDate(),
    hour: now.getHours(),
    minute: now.getMinutes(),
    second: now.getSeconds(),
  }
  return template.replace(
    PLACEHOLDER,
    (_match, name: Token, zero: string, width: string, precision: string | undefined, kind: string) => {
      const value = values[name]
      if (kind === 's') return String(value)
      const digits = Math.max(precision === undefined ? 0 : Number(precision), zero ? Number(width || 0) : 0)
      return String(value).padStart(digits, '0')
    },
  )
}
