import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readFunctionBody } from '../../src/adopt/alembic/python-calls.js'

test("an Alembic upgrade's op calls are read as Python reads them: strings, adjacent literals, escapes, comments, trailing commas", () => {
  const source = [
    'def upgrade() -> None:',
    '    """Docstring."""',
    '    # a comment',
    "    op.execute('UPDATE t SET a = ''' if False else 'x')",
    '',
  ].join('\n')
  // A conditional expression is code.
  assert.deepEqual(readFunctionBody(source, 'upgrade'), {
    unsupported: { line: 4, text: "op.execute('UPDATE t SET a = ''' if False else 'x')" },
  })
  const calls = readFunctionBody(
    [
      'import x',
      'def upgrade():',
      '    op.execute("UPDATE users "',
      "               'SET name = \\'x\\'\\n')  # trailing comment",
      '    op.add_column(',
      "        'users',",
      "        sa.Column('n', sa.Numeric(10, 2), nullable=False, server_default=sa.text('0')),",
      '    )',
      '    op.execute(r"""SELECT \'\\d\'""")',
      '    pass',
      '',
      'def downgrade():',
      '    pass',
    ].join('\n'),
    'upgrade',
  )
  assert.ok(calls !== undefined && 'calls' in calls)
  assert.deepEqual(
    calls.calls.map((call) => [call.callee, call.line]),
    [
      ['op.execute', 3],
      ['op.add_column', 5],
      ['op.execute', 9],
    ],
  )
  assert.deepEqual(calls.calls[0]!.args[0], { kind: 'str', value: "UPDATE users SET name = 'x'\n" })
  assert.deepEqual(calls.calls[2]!.args[0], { kind: 'str', value: "SELECT '\\d'" })
  const column = calls.calls[1]!.args[1]
  assert.ok(column?.kind === 'call' && column.callee === 'sa.Column')
  assert.deepEqual(column.kwargs.nullable, { kind: 'const', value: 'False' })
  assert.deepEqual(column.args[1], {
    kind: 'call',
    callee: 'sa.Numeric',
    args: [
      { kind: 'num', value: '10' },
      { kind: 'num', value: '2' },
    ],
    kwargs: {},
    line: 7,
  })
})

test('Python that is code, not op calls, is named with its line: assignments, loops, f-strings, other calls', () => {
  const first = (body: string) => readFunctionBody(`def upgrade():\n${body}\n`, 'upgrade')
  assert.deepEqual(first('    connection = op.get_bind()'), {
    unsupported: { line: 2, text: 'connection = op.get_bind()' },
  })
  assert.deepEqual(first("    op.execute(f'UPDATE t SET a = {n}')"), {
    unsupported: { line: 2, text: "op.execute(f'UPDATE t SET a = {n}')" },
  })
  assert.deepEqual(first('    for t in tables:\n        op.drop_table(t)'), {
    unsupported: { line: 2, text: 'for t in tables:' },
  })
  assert.deepEqual(first("    print('hi')"), { unsupported: { line: 2, text: "print('hi')" } })
  assert.equal(readFunctionBody('def downgrade():\n    pass\n', 'upgrade'), undefined)
})

test('with op.get_context().autocommit_block(): its statements are read, and the body says it commits outside a transaction', () => {
  const body = readFunctionBody(
    "def upgrade():\n    op.create_table('t', sa.Column('a', sa.Text()))\n    with op.get_context().autocommit_block():  # CONCURRENTLY\n        op.create_index('ix', 't', ['a'], postgresql_concurrently=True)\n",
    'upgrade',
  )
  assert.ok(body !== undefined && 'calls' in body)
  assert.equal(body.autocommit, true)
  assert.deepEqual(
    body.calls.map((call) => [call.callee, call.line]),
    [
      ['op.create_table', 2],
      ['op.create_index', 4],
    ],
  )
  const plain = readFunctionBody("def upgrade():\n    op.drop_table('t')\n", 'upgrade')
  assert.ok(plain !== undefined && 'calls' in plain && plain.autocommit === false)
  // Any other with-block is code.
  assert.deepEqual(
    readFunctionBody(
      "def upgrade():\n    with open('data.sql') as f:\n        op.execute(f.read())\n",
      'upgrade',
    ),
    { unsupported: { line: 2, text: "with open('data.sql') as f:" } },
  )
})
