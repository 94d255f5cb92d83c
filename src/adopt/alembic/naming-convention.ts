import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { type PyCall, type PyValue, parsePythonLiteral } from './python-calls.js'
import { isNone, NotPortable, str } from './python-values.js'

/**
 * The project's SQLAlchemy `naming_convention` (`MetaData(naming_convention={...})`), which
 * Alembic's operations use to name constraints and indexes: `pk_users` where PostgreSQL
 * would say `users_pkey`. Ported migrations must name them the same, or every later
 * `drop_constraint('pk_users', ...)` fails and the drift check reports each name.
 */
export interface NamingConvention {
  /** The file it was read from, relative to the project. */
  readonly source: string
  /** Templates by kind (`pk`, `uq`, `ck`, `fk`, `ix`); undefined when it is built in code Strata cannot read. */
  readonly templates: Readonly<Record<Kind, string | undefined>> | undefined
}

export type Kind = 'pk' | 'uq' | 'ck' | 'fk' | 'ix'

/** The long names SQLAlchemy accepts for each key. */
const KIND_OF: Readonly<Record<string, Kind>> = {
  pk: 'pk',
  primary_key_constraint: 'pk',
  uq: 'uq',
  unique_constraint: 'uq',
  ck: 'ck',
  check_constraint: 'ck',
  fk: 'fk',
  foreign_key_constraint: 'fk',
  ix: 'ix',
  index: 'ix',
}

/** Directories that hold no project code (or too much of someone else's). */
const SKIPPED = new Set([
  '.git',
  'node_modules',
  'venv',
  '.venv',
  'env',
  '.tox',
  'site-packages',
  '__pycache__',
  'dist',
  'build',
  '.strata',
])
const MAX_FILES = 5000

/**
 * Finds the convention: env.py first (its `target_metadata`), then the project's other
 * Python files (the models env.py imports). Undefined when the project sets none, and
 * Alembic named constraints as PostgreSQL does.
 */
export function findNamingConvention(
  versionsDirectory: string,
  projectDir: string,
): NamingConvention | undefined {
  // env.py first; the project's files are walked only when it does not say, and only until found.
  const candidates = function* () {
    yield resolve(versionsDirectory, '..', 'env.py')
    yield* pythonFiles(resolve(projectDir), resolve(versionsDirectory))
  }
  for (const file of candidates()) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    if (!/naming_convention\s*=/.test(text)) continue
    return { source: relative(projectDir, file) || file, templates: readTemplates(text) }
  }
  return undefined
}

/** The project's .py files in path order, at most MAX_FILES, outside SKIPPED and `versions`. */
function* pythonFiles(root: string, versions: string): Generator<string> {
  let yielded = 0
  const walk = function* (dir: string): Generator<string> {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names.sort()) {
      if (yielded >= MAX_FILES) return
      const path = join(dir, name)
      if (name.endsWith('.py')) {
        yielded++
        yield path
      } else if (!SKIPPED.has(name) && !name.includes('.') && path !== versions) {
        let directory = false
        try {
          directory = statSync(path).isDirectory()
        } catch {
          // Unreadable: not the project's.
        }
        if (directory) yield* walk(path)
      }
    }
  }
  yield* walk(root)
}

/**
 * The templates of `naming_convention={...}`, `=dict(...)`, or `=NAME` with `NAME = {...}`
 * or `dict(...)` in the same file; undefined when they are built any other way.
 */
function readTemplates(text: string): NamingConvention['templates'] {
  const use = /naming_convention\s*=\s*(\{|dict\(|[A-Za-z_]\w*)/.exec(text)
  if (use === null) return undefined
  const assigned =
    use[1] === '{' || use[1] === 'dict('
      ? use
      : new RegExp(`^\\s*${use[1]}\\s*(?::[^=]*)?=\\s*(\\{|dict\\()`, 'm').exec(text)
  if (assigned === null) return undefined
  const literal = assigned[1] === '{' ? '{' : 'dict('
  const parsed = parsePythonLiteral(text, assigned.index + assigned[0].length - literal.length)
  const entries =
    parsed?.kind === 'dict'
      ? parsed.entries
      : parsed?.kind === 'call' && parsed.callee === 'dict' && parsed.args.length === 0
        ? parsed.kwargs
        : undefined
  if (entries === undefined) return undefined
  const templates: Record<Kind, string | undefined> = {
    pk: undefined,
    uq: undefined,
    ck: undefined,
    fk: undefined,
    ix: DEFAULT_INDEX,
  }
  for (const [key, template] of Object.entries(entries)) {
    const kind = KIND_OF[key]
    if (kind === undefined || template.kind !== 'str') return undefined
    templates[kind] = template.value
  }
  return templates
}

/** What a convention's tokens are made of. */
export interface NamedObject {
  readonly table: string
  readonly columns?: readonly string[]
  readonly referredTable?: string
  readonly referredColumns?: readonly string[]
}

/**
 * The name Alembic gives a constraint or index: an `op.f('...')` name as written; else
 * the convention's template for its kind, fed the explicit name when the template uses
 * `%(constraint_name)s`; else the explicit name; else none (PostgreSQL names it).
 */
export function conventionalName(
  convention: NamingConvention | undefined,
  kind: Kind,
  explicit: PyValue | undefined,
  object: NamedObject,
  call: PyCall,
): string | undefined {
  if (explicit?.kind === 'call' && explicit.callee === 'op.f') return str(explicit, call)
  const name = explicit === undefined || isNone(explicit) ? undefined : str(explicit, call)
  // Without one, SQLAlchemy's own default still names an index: ix_<table>_<column>.
  if (convention === undefined)
    return kind === 'ix' && name === undefined ? fitName(applyTemplate(DEFAULT_INDEX, object, call)) : name
  if (convention.templates === undefined) {
    if (name !== undefined) return name
    throw new NotPortable(
      call.line,
      `its ${KIND_WORDS[kind]} is named by the project's naming_convention (${convention.source}), which Strata cannot read: name it in the migration (name=op.f('...'))`,
    )
  }
  const template = convention.templates[kind]
  if (template === undefined) return name
  const usesName = template.includes('%(constraint_name)s')
  if (!usesName && name !== undefined) return name
  if (usesName && name === undefined)
    throw new NotPortable(
      call.line,
      `the naming_convention's ${kind} template "${template}" needs the ${KIND_WORDS[kind]} to be named`,
    )
  return fitName(applyTemplate(template, { ...object, constraintName: name }, call))
}

/**
 * An index's name: always one, since SQLAlchemy's default convention names every index
 * the migration leaves unnamed (the project's may name it otherwise).
 */
export function indexName(
  convention: NamingConvention | undefined,
  explicit: PyValue | undefined,
  object: NamedObject,
  call: PyCall,
): string {
  return conventionalName(convention, 'ix', explicit, object, call)!
}

/** SQLAlchemy's DEFAULT_NAMING_CONVENTION, in force in every MetaData. */
const DEFAULT_INDEX = 'ix_%(column_0_label)s'

const KIND_WORDS: Readonly<Record<Kind, string>> = {
  pk: 'primary key',
  uq: 'unique constraint',
  ck: 'check constraint',
  fk: 'foreign key',
  ix: 'index',
}

function applyTemplate(
  template: string,
  object: NamedObject & { constraintName?: string },
  call: PyCall,
): string {
  return template.replace(/%\((\w+)\)s/g, (_match, token: string) => {
    if (token === 'table_name') return object.table
    if (token === 'constraint_name' && object.constraintName !== undefined) return object.constraintName
    if (token === 'referred_table_name' && object.referredTable !== undefined) return object.referredTable
    const column = /^(referred_)?column_(\d+|0_?N)_(name|label|key)$/.exec(token)
    const columns = column?.[1] === undefined ? object.columns : object.referredColumns
    if (column !== null && columns !== undefined && columns.length > 0) {
      const table = column[1] === undefined ? object.table : (object.referredTable ?? '')
      const render = (name: string) => (column[3] === 'label' ? `${table}_${name}` : name)
      if (column[2] === '0N') return columns.map(render).join('')
      if (column[2] === '0_N') return columns.map(render).join('_')
      const one = columns[Number(column[2])]
      if (one !== undefined) return render(one)
    }
    throw new NotPortable(
      call.line,
      `the naming_convention token %(${token})s is not one Strata fills in here`,
    )
  })
}

/** A name over PostgreSQL's 63 bytes, shortened as SQLAlchemy does: a cut and 4 hex digits of its md5. */
function fitName(name: string): string {
  if (Buffer.byteLength(name) <= 63) return name
  return `${name.slice(0, 63 - 8)}_${createHash('md5').update(name).digest('hex').slice(-4)}`
}
