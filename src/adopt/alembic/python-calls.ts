/**
 * Just enough of Python to read an Alembic migration's `upgrade()` and `downgrade()`
 * when they are what Alembic's autogenerate and most hand-written migrations are: a
 * sequence of `op.<operation>(...)` calls whose arguments are literals, lists, tuples
 * and calls such as `sa.Column('id', sa.Integer(), nullable=False)`. Anything else (an
 * assignment, a loop, `op.get_bind()`, an f-string) makes the function unsupported, with
 * its line: such a migration is code, and is ported by a person.
 */

export type PyValue =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'num'; readonly value: string }
  | { readonly kind: 'const'; readonly value: 'True' | 'False' | 'None' }
  /** A dotted name not called: `sa.Integer`, `postgresql.JSONB`. */
  | { readonly kind: 'name'; readonly path: string }
  | PyCall
  /** A list or a tuple. */
  | { readonly kind: 'list'; readonly items: readonly PyValue[] }
  /** A dict with string keys: `{'name': 'admin'}` (a row of `op.bulk_insert`). */
  | { readonly kind: 'dict'; readonly entries: Readonly<Record<string, PyValue>> }

export interface PyCall {
  readonly kind: 'call'
  /** The dotted name called: `op.add_column`, `sa.Column`, `sa.func.now`. */
  readonly callee: string
  readonly args: readonly PyValue[]
  readonly kwargs: Readonly<Record<string, PyValue>>
  /** 1-based line of the call in the file. */
  readonly line: number
  /**
   * A statement inside `with op.batch_alter_table('t') as batch_op:`, read as `op.<name>`:
   * the table the block names, which the statement leaves out.
   */
  readonly batch?: BatchTable
}

/** The table of a `with op.batch_alter_table(...)` block. */
export interface BatchTable {
  readonly table: PyValue
  readonly schema: PyValue | undefined
}

/** A function body read as calls, or the first thing in it that is not one. */
export type FunctionBody =
  | {
      readonly calls: readonly PyCall[]
      /** Some of them run in `with op.get_context().autocommit_block():`, outside a transaction. */
      readonly autocommit: boolean
    }
  | { readonly unsupported: { readonly line: number; readonly text: string } }

/**
 * Where the module-level `def name(...)`'s body is: 0-based line indexes, `start` the
 * first body line, `end` one past the last. Undefined when the module has no such function.
 */
export function functionBodyLines(
  source: string,
  name: string,
): { lines: string[]; start: number; end: number } | undefined {
  const lines = source.split('\n')
  const def = lines.findIndex((line) => new RegExp(`^def ${name}\\s*\\(`).test(line))
  if (def === -1) return undefined
  // The signature may run over lines; the body starts after the line ending in ':'.
  let bodyStart = def
  while (bodyStart < lines.length && !/:\s*(#.*)?$/.test(lines[bodyStart]!)) bodyStart++
  let end = bodyStart + 1
  while (
    end < lines.length &&
    (lines[end]!.trim() === '' || /^\s/.test(lines[end]!) || /^#/.test(lines[end]!))
  )
    end++
  return { lines, start: bodyStart + 1, end }
}

/** The body of the module-level `def name(...)`, or undefined when the module has none. */
export function readFunctionBody(source: string, name: string): FunctionBody | undefined {
  const found = functionBodyLines(source, name)
  if (found === undefined) return undefined
  const { lines, end } = found
  const bodyStart = found.start - 1
  const offsetLine = bodyStart + 2
  let tokens: Token[]
  let blocks: WithBlocks
  try {
    blocks = readWithBlocks(lines.slice(bodyStart + 1, end), offsetLine)
    tokens = tokenize(blocks.body, offsetLine)
  } catch (error) {
    if (error instanceof Unsupported)
      return { unsupported: { line: error.line, text: lineText(lines, error.line) } }
    throw error
  }
  const parser = new Parser(tokens)
  const calls: PyCall[] = []
  for (;;) {
    parser.skipNewlines()
    if (parser.atEnd()) return { calls, autocommit: blocks.autocommit }
    const first = parser.peek()
    try {
      const statement = parser.statement()
      if (statement === undefined) continue // a docstring, `pass`
      const batch = blocks.batches.find((block) => first.line >= block.from && first.line <= block.to)
      calls.push(batch === undefined ? statement : { ...statement, batch: batch.table })
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error
      return { unsupported: { line: first.line, text: lineText(lines, first.line) } }
    }
  }
}

/**
 * The Python literal (a dict, a list) that starts at `start` in `source`, read as the op
 * calls' arguments are; undefined when it is not one (a comprehension, a variable).
 */
export function parsePythonLiteral(source: string, start: number): PyValue | undefined {
  // A call (`dict(ix='...')`) is read from its name to its closing parenthesis.
  const callee = /^[A-Za-z_][\w.]*(?=\()/.exec(source.slice(start, start + 200))
  const open = source[start + (callee?.[0].length ?? 0)]
  if (open !== '{' && open !== '[' && open !== '(') return undefined
  let depth = 0
  let quote: string | undefined
  for (let at = start + (callee?.[0].length ?? 0); at < source.length; at++) {
    const char = source[at]!
    if (quote !== undefined) {
      if (char === '\\') at++
      else if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') quote = char
    else if (char === '#') while (at < source.length && source[at] !== '\n') at++
    else if ('{[('.includes(char)) depth++
    else if ('}])'.includes(char) && --depth === 0) {
      try {
        return new Parser(tokenize(source.slice(start, at + 1), 1)).expression()
      } catch (error) {
        if (error instanceof Unsupported) return undefined
        throw error
      }
    }
  }
  return undefined
}

const AUTOCOMMIT_BLOCK = /^\s*with\s+op\.get_context\(\)\.autocommit_block\(\)\s*:\s*(#.*)?$/
const BATCH_BLOCK = /^(\s*)with\s+(op\.batch_alter_table\(.*\))\s+as\s+([A-Za-z_]\w*)\s*:\s*(#.*)?$/

interface WithBlocks {
  /** The body with the `with` lines blank and a batch block's `batch_op.` read as `op.`. */
  readonly body: string
  readonly autocommit: boolean
  readonly batches: readonly { from: number; to: number; table: BatchTable }[]
}

/**
 * The two `with` blocks Alembic migrations use around op calls. Their lines are left out
 * (line numbers stay): `op.get_context().autocommit_block()` runs its statements outside
 * the migration's transaction (CREATE INDEX CONCURRENTLY); `op.batch_alter_table('t')`
 * (autogenerate's `render_as_batch`, for SQLite's sake) is, on PostgreSQL, the same ALTERs
 * as `op.*` calls with the table added, unless `recreate='always'` copies the table.
 */
function readWithBlocks(lines: readonly string[], firstLine: number): WithBlocks {
  let autocommit = false
  const batches: { from: number; to: number; table: BatchTable }[] = []
  let open: { indent: number; alias: RegExp; from: number; table: BatchTable } | undefined
  const body = lines.map((line, index) => {
    const lineNumber = firstLine + index
    if (open !== undefined && line.trim() !== '' && !/^\s*#/.test(line)) {
      if (line.length - line.trimStart().length > open.indent) return line.replace(open.alias, 'op.')
      batches.push({ from: open.from, to: lineNumber - 1, table: open.table })
      open = undefined
    }
    if (AUTOCOMMIT_BLOCK.test(line)) {
      autocommit = true
      return ''
    }
    const batch = BATCH_BLOCK.exec(line)
    if (batch === null) return line
    const call = new Parser(tokenize(batch[2]!, lineNumber)).expression()
    if (call.kind !== 'call') throw new Unsupported(lineNumber)
    const { table_name: tableName, schema, recreate, ...other } = call.kwargs
    const table = tableName ?? call.args[0]
    const recreates = recreate !== undefined && !(recreate.kind === 'str' && recreate.value !== 'always')
    if (table === undefined || call.args.length > 1 || recreates || Object.keys(other).length > 0)
      throw new Unsupported(lineNumber)
    open = {
      indent: batch[1]!.length,
      alias: new RegExp(`\\b${batch[3]!}\\.`, 'g'),
      from: lineNumber + 1,
      table: { table, schema },
    }
    return ''
  })
  if (open !== undefined) batches.push({ from: open.from, to: firstLine + lines.length, table: open.table })
  return { body: body.join('\n'), autocommit, batches }
}

function lineText(lines: readonly string[], line: number): string {
  return (lines[line - 1] ?? '').trim()
}

class Unsupported extends Error {
  constructor(readonly line: number) {
    super(`unsupported Python at line ${line}`)
  }
}

interface Token {
  readonly type: 'name' | 'str' | 'num' | 'punct' | 'newline'
  readonly text: string
  readonly line: number
}

/** Tokens of a function body; newlines inside brackets are not statement ends. */
function tokenize(code: string, firstLine: number): Token[] {
  const tokens: Token[] = []
  let line = firstLine
  let depth = 0
  let index = 0
  while (index < code.length) {
    const char = code[index]!
    if (char === '\n') {
      if (depth === 0 && tokens.at(-1)?.type !== 'newline') tokens.push({ type: 'newline', text: '\n', line })
      line++
      index++
      continue
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      index++
      continue
    }
    if (char === '\\' && code[index + 1] === '\n') {
      line++
      index += 2
      continue
    }
    if (char === '#') {
      while (index < code.length && code[index] !== '\n') index++
      continue
    }
    const string = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(code.slice(index, index + 5))
    if (string) {
      const prefix = string[1]!.toLowerCase()
      if (prefix.includes('f') || prefix.includes('b')) throw new Unsupported(line)
      const quote = string[2]!
      let at = index + string[0].length
      let value = ''
      const startLine = line
      for (;;) {
        if (at >= code.length) throw new Unsupported(startLine)
        if (code.startsWith(quote, at)) break
        const c = code[at]!
        if (c === '\n') {
          if (quote.length === 1) throw new Unsupported(startLine)
          line++
        }
        if (c === '\\' && !prefix.includes('r')) {
          const next = code[at + 1] ?? ''
          const escaped = ESCAPES[next]
          if (next === '\n') {
            line++
            at += 2
            continue
          }
          value += escaped ?? `\\${next}`
          at += 2
          continue
        }
        value += c
        at++
      }
      tokens.push({ type: 'str', text: value, line: startLine })
      index = at + quote.length
      continue
    }
    const number = /^\d+(?:\.\d+)?/.exec(code.slice(index))
    if (number) {
      tokens.push({ type: 'num', text: number[0], line })
      index += number[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(code.slice(index))
    if (name) {
      tokens.push({ type: 'name', text: name[0], line })
      index += name[0].length
      continue
    }
    if ('([{'.includes(char)) depth++
    if (')]}'.includes(char)) depth--
    tokens.push({ type: 'punct', text: char, line })
    index++
  }
  return tokens
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
}

/** The methods of an SQLAlchemy type a migration calls to write DDL. */
const TYPE_METHODS = new Set(['create', 'drop'])

class Parser {
  #at = 0
  constructor(private readonly tokens: readonly Token[]) {}

  atEnd(): boolean {
    return this.#at >= this.tokens.length
  }

  peek(): Token {
    return this.tokens[this.#at] ?? { type: 'newline', text: '\n', line: this.tokens.at(-1)?.line ?? 0 }
  }

  skipNewlines(): void {
    while (!this.atEnd() && this.peek().type === 'newline') this.#at++
  }

  /** One statement: a call of `op.*` or a type's `.create(...)`/`.drop(...)`; undefined for a docstring or `pass`. */
  statement(): PyCall | undefined {
    const first = this.peek()
    if (first.type === 'name' && first.text === 'pass') {
      this.#at++
      this.endOfStatement()
      return undefined
    }
    const value = this.expression()
    this.endOfStatement()
    if (value.kind === 'str') return undefined // a docstring
    if (value.kind === 'call' && (value.callee.startsWith('op.') || value.callee.startsWith('type.')))
      return value
    throw new Unsupported(first.line)
  }

  private endOfStatement(): void {
    if (this.atEnd()) return
    if (this.peek().type !== 'newline') throw new Unsupported(this.peek().line)
    this.#at++
  }

  private next(): Token {
    const token = this.peek()
    if (this.atEnd()) throw new Unsupported(token.line)
    this.#at++
    return token
  }

  private punct(text: string): boolean {
    const token = this.peek()
    if (token.type === 'punct' && token.text === text) {
      this.#at++
      return true
    }
    return false
  }

  expression(): PyValue {
    const token = this.next()
    if (token.type === 'str') {
      // Adjacent literals are one string, as Python reads them.
      let value = token.text
      while (this.peek().type === 'str') value += this.next().text
      return { kind: 'str', value }
    }
    if (token.type === 'num') return { kind: 'num', value: token.text }
    if (token.type === 'punct' && token.text === '-' && this.peek().type === 'num')
      return { kind: 'num', value: `-${this.next().text}` }
    if (token.type === 'punct' && token.text === '{') {
      const entries: Record<string, PyValue> = {}
      while (!this.punct('}')) {
        const key = this.next()
        if (key.type !== 'str' || !this.punct(':')) throw new Unsupported(key.line)
        entries[key.text] = this.expression()
        if (!this.punct(',') && !(this.peek().type === 'punct' && this.peek().text === '}'))
          throw new Unsupported(this.peek().line)
      }
      return { kind: 'dict', entries }
    }
    if (token.type === 'punct' && (token.text === '[' || token.text === '(')) {
      const close = token.text === '[' ? ']' : ')'
      const items: PyValue[] = []
      while (!this.punct(close)) {
        items.push(this.expression())
        if (!this.punct(',') && !(this.peek().type === 'punct' && this.peek().text === close))
          throw new Unsupported(this.peek().line)
      }
      // `(x)` is x; `(x,)` and `[x]` are sequences.
      return { kind: 'list', items }
    }
    if (token.type === 'name') {
      if (token.text === 'True' || token.text === 'False' || token.text === 'None')
        return { kind: 'const', value: token.text }
      let path = token.text
      while (this.punct('.')) {
        const part = this.next()
        if (part.type !== 'name') throw new Unsupported(part.line)
        path += `.${part.text}`
      }
      if (!this.punct('(')) return { kind: 'name', path }
      return this.callArguments(path, token.line)
    }
    throw new Unsupported(token.line)
  }

  private callArguments(callee: string, line: number): PyCall {
    const args: PyValue[] = []
    const kwargs: Record<string, PyValue> = {}
    while (!this.punct(')')) {
      const token = this.peek()
      const following = this.tokens[this.#at + 1]
      if (token.type === 'name' && following?.type === 'punct' && following.text === '=') {
        this.#at += 2
        kwargs[token.text] = this.expression()
      } else {
        if (token.type === 'punct' && token.text === '*') throw new Unsupported(token.line)
        args.push(this.expression())
      }
      if (!this.punct(',') && !(this.peek().type === 'punct' && this.peek().text === ')'))
        throw new Unsupported(this.peek().line)
    }
    const call: PyCall = { kind: 'call', callee, args, kwargs, line }
    const method = this.typeMethod(call)
    if (method !== undefined) return method
    // Any other call on a call (`sa.Column(...).label(...)`) is code, not a declaration.
    if (this.peek().type === 'punct' && (this.peek().text === '.' || this.peek().text === '('))
      throw new Unsupported(this.peek().line)
    return call
  }

  /**
   * `sa.Enum('a', 'b', name='t').create(op.get_bind(), checkfirst=True)` (or `.drop`):
   * the way Alembic migrations create and drop an enum type themselves, since
   * `op.add_column` creates none. Read as the call `<type>.create` whose first argument
   * is the type.
   */
  private typeMethod(type: PyCall): PyCall | undefined {
    const dot = this.peek()
    const name = this.tokens[this.#at + 1]
    const open = this.tokens[this.#at + 2]
    if (
      !/(^|\.)(Enum|ENUM)$/.test(type.callee) ||
      dot.type !== 'punct' ||
      dot.text !== '.' ||
      name?.type !== 'name' ||
      !TYPE_METHODS.has(name.text) ||
      open?.text !== '('
    )
      return undefined
    this.#at += 3
    const { args, kwargs } = this.callArguments(`${type.callee}.${name.text}`, name.line)
    return { kind: 'call', callee: `type.${name.text}`, args: [type, ...args], kwargs, line: type.line }
  }
}
